import { setTimeout as sleep } from 'node:timers/promises';
import type { ContainerDriver, ContainerStatus } from '../containers/driver.js';
import { inspectOrGone } from '../containers/inspect-or-gone.js';
import { waitFor } from '../core/wait.js';

const ENGINE_CALL_TIMEOUT_MS = 10_000;

export interface ReadinessWait {
  /** Container name or id. */
  container: string;
  timeoutMs: number;
  intervalMs?: number;
  /** Whether the process answers, asked while the container runs (an HTTP probe of its port). */
  answers: () => Promise<boolean>;
  /** The failure for a container that stopped for good ("exited with code 1", "disappeared", ...). */
  crashed: (why: string) => Promise<Error>;
  /** The failure for a container that runs but never answered, or an engine that never came back. */
  timedOut: (engineError: string | undefined) => Promise<Error>;
  /** How long one engine call may take before the engine counts as not answering (default 10 s). */
  engineCallTimeoutMs?: number;
}

type Inspected = { status: ContainerStatus | undefined } | { engineError: string };

/** An engine call bounded in time: a Docker engine that is starting accepts requests and holds them. */
async function bounded<T>(call: Promise<T>, ms: number): Promise<T> {
  const timer = new AbortController();
  try {
    return await Promise.race([
      call,
      sleep(ms, undefined, { signal: timer.signal }).then(() => {
        throw new Error(`the Docker engine did not answer within ${ms / 1000} s`);
      }),
    ]);
  } finally {
    timer.abort();
  }
}

async function inspect(driver: ContainerDriver, container: string, ms: number): Promise<Inspected> {
  try {
    return { status: await bounded(inspectOrGone(driver, container), ms) };
  } catch (err) {
    return { engineError: err instanceof Error ? err.message : String(err) };
  }
}

/**
 * The one wait for a started container (a service instance, a notebook's Jupyter) to answer.
 * Its activity heartbeats every second whatever the engine does (activities/heartbeat.ts), and an
 * engine that is down or restarting is a reason to keep waiting, not a failure: a Docker engine restart stops every container and
 * takes tens of seconds, so a container that stopped is started once more, and only a second stop
 * (a real crash) or the deadline ends the wait with a failure.
 */
export async function waitContainerReady(driver: ContainerDriver, wait: ReadinessWait): Promise<void> {
  let restarted = false;
  let engineError: string | undefined;
  const callMs = wait.engineCallTimeoutMs ?? ENGINE_CALL_TIMEOUT_MS;
  await waitFor(
    async () => {
      const seen = await inspect(driver, wait.container, callMs);
      if ('engineError' in seen) {
        engineError = seen.engineError;
        return false;
      }
      engineError = undefined;
      const st = seen.status;
      if (st?.state === 'exited' && !st.oomKilled && !restarted) {
        try {
          await bounded(driver.start(st.id), callMs);
          restarted = true;
        } catch (err) {
          engineError = err instanceof Error ? err.message : String(err);
        }
        return false;
      }
      if (!st || (st.state !== 'running' && st.state !== 'created')) {
        const why = !st
          ? 'disappeared'
          : st.oomKilled
            ? 'was killed for using more memory than its size allows'
            : `exited with code ${st.exitCode}`;
        throw await wait.crashed(why);
      }
      return wait.answers();
    },
    {
      timeoutMs: wait.timeoutMs,
      intervalMs: wait.intervalMs,
      timeoutError: () => wait.timedOut(engineError),
    },
  );
}
