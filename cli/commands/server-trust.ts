import path from 'node:path';
import { homePaths, type PlatformEnv } from '../../core/config.js';
import { setTrust, type TrustStep } from '../../platform/trust-store.js';
import { detail, info, printJson, step, warn } from '../output.js';

const SAID: Record<TrustStep['outcome'], string> = {
  added: 'added',
  removed: 'removed',
  present: 'already there',
  absent: 'not there',
  skipped: 'skipped',
};

/** `roro server trust` / `untrust`: roro's CA into (or out of) the system store and the user's browsers. */
export async function serverTrust(env: PlatformEnv, add: boolean, opts: { json?: boolean }): Promise<void> {
  const ca = path.join(homePaths(env.home).tls, 'ca.crt');
  if (!opts.json) step(`${add ? 'Trusting' : 'Untrusting'} roro's CA ${ca}`);
  const steps = await setTrust(ca, add);
  if (opts.json) printJson({ caCert: ca, steps });
  else {
    for (const s of steps) detail(`${s.store}: ${SAID[s.outcome]}${s.detail ? ` (${s.detail})` : ''}`);
    if (add && steps.some((s) => s.outcome === 'added')) {
      info(
        'Restart running browsers to pick the CA up; curl, Python requests (with REQUESTS_CA_BUNDLE unset) and git use the system store.',
      );
    }
  }
  if (steps.some((s) => s.outcome === 'skipped')) {
    if (!opts.json) warn('Not every store could be changed; see the reasons above.');
    process.exitCode = 1;
  }
}
