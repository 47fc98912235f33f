import { setTimeout as sleep } from 'node:timers/promises';
import type { ApiClient } from './client.js';
import { info, out } from './output.js';

/** A job or a notebook session as `roro stop` sees it. */
export interface Run {
  id: string;
  status: string;
}

export interface StopRun<T extends Run> {
  /** `Job` or `Notebook`, as the messages start. */
  noun: string;
  /** The run's API path; the stop request goes to `<path>/stop`. */
  path: string;
  /** What stopping does, shown after `Stopping job ID`. */
  how?: string;
  /** Whether the run still goes on (`running`, or `starting` for a notebook). */
  live: (status: string) => boolean;
  /** The run as the server has it now. */
  reload: () => Promise<T | undefined>;
}

/**
 * `roro stop ID` for a job or notebook: asks the server to stop it, then, unless detached, follows it
 * for up to a minute until it has ended and prints how.
 */
export async function stopRun<T extends Run>(
  client: ApiClient,
  run: T,
  stop: StopRun<T>,
  detach: boolean | undefined,
): Promise<void> {
  if (!stop.live(run.status)) {
    info(`${stop.noun} ${run.id} already ended: ${run.status}.`);
    return;
  }
  await client.request(`${stop.path}/stop`, { method: 'POST', body: {} });
  info(`Stopping ${stop.noun.toLowerCase()} ${run.id}${stop.how ? ` ${stop.how}` : ''}...`);
  if (detach) return;
  for (let i = 0; i < 120; i++) {
    await sleep(500);
    const now = await stop.reload();
    if (now && !stop.live(now.status)) {
      out(`${stop.noun} ${run.id} ${now.status}.`);
      return;
    }
  }
  info(`${stop.noun} ${run.id} is still stopping; check with: roro ps -a`);
}
