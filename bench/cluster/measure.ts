/** One deploy, and one throughput run, against either platform of the cluster benchmark. */
import fs from 'node:fs';
import path from 'node:path';
import { deployAndWait, projectCopy } from '../../test/helpers/deploy.js';
import { pollUntil } from '../deploy/http.js';
import type { Target } from './platforms.js';
import { wrkPost, type Throughput } from './wrk.js';

/** The function every request calls: greet.hello of the hello fixture, which says its code version. */
const CALL = { name: 'bench' };
const callPath = (t: Target) => `/${t.project}/hello`;

/** The hello fixture as the target's project, one HTTP service of `replicas: 2`. */
export function benchProject(t: Target): string {
  return projectCopy('hello', t.project, (dir) => {
    const yml = path.join(dir, 'roro.yml');
    const spec = fs.readFileSync(yml, 'utf8');
    fs.writeFileSync(yml, spec.replace(/^(\s+)function: greet\.hello$/m, '$&\n$1replicas: 2'));
  });
}

/** A code-only change: the version greet.hello answers with. */
export function setVersion(dir: string, version: string): void {
  const file = path.join(dir, 'greet.py');
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(/^VERSION = .*$/m, `VERSION = "${version}"`));
}

export interface DeployTime {
  /** From the upload to the deploy's `done` event. */
  doneMs: number;
  /** From the upload to the first answer of the new code through the gateway. */
  servingMs: number;
}

/** Deploys `dir` (whose greet.py answers `version`) and waits for the gateway to serve that version. */
export async function timedDeploy(t: Target, dir: string, version: string): Promise<DeployTime> {
  const t0 = performance.now();
  const deployed = await deployAndWait(t.token, t.project, dir, t.env.apiUrl);
  const doneMs = performance.now() - t0;
  if (deployed.final.kind !== 'done')
    throw new Error(
      `deploy of ${version} on the ${t.label} platform ended ${deployed.final.kind}: ${deployed.final.message}`,
    );
  const url = `https://${t.env.domain}:${t.env.ports.gatewayHttps}${callPath(t)}`;
  const { at } = await pollUntil(url, {
    ca: t.ca,
    method: 'POST',
    json: CALL,
    deadlineMs: 120_000,
    accept: (r) => r.status === 200 && (JSON.parse(r.body) as { version?: string }).version === version,
  });
  return { doneMs, servingMs: at - t0 };
}

/** Requests per second of greet.hello through the target's gateway. */
export function throughput(t: Target, load: { seconds: number; connections: number }): Promise<Throughput> {
  return wrkPost({ port: t.env.ports.gatewayHttps, host: t.env.domain }, callPath(t), CALL, load);
}
