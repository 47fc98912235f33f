/**
 * Continuous requests to the project's service through the gateway, two at a time, each recorded
 * with its end time, so the table can count failures and measure the longest gap.
 */
import https from 'node:https';
import { caCert, gatewayRequest } from '../../test/helpers/deploy.js';
import type { Sample } from './verdict.js';

export interface Load {
  samples: Sample[];
  errors: Map<string, number>;
  stop(): Promise<void>;
}

export function startLoad(pathname: string, body: unknown, connections = 2): Load {
  const agent = new https.Agent({ keepAlive: true, maxSockets: connections, ca: caCert() });
  const samples: Sample[] = [];
  const errors = new Map<string, number>();
  let stopped = false;
  const note = (e: string) => errors.set(e, (errors.get(e) ?? 0) + 1);
  const loop = async () => {
    while (!stopped) {
      let ok = false;
      try {
        const res = await gatewayRequest(pathname, { body, agent });
        ok = res.status === 200;
        if (!ok) note(`${res.status} ${JSON.stringify(res.body).slice(0, 120)}`);
      } catch (err) {
        note((err as Error).message);
      }
      samples.push({ at: Date.now(), ok });
      // A refused connection fails at once: pace failures so a gap is sampled, not hammered.
      if (!ok) await new Promise((r) => setTimeout(r, 50));
    }
  };
  const running = Promise.all(Array.from({ length: connections }, loop));
  return {
    samples,
    errors,
    async stop() {
      stopped = true;
      await running;
      agent.destroy();
    },
  };
}
