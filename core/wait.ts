import { setTimeout as sleep } from 'node:timers/promises';

interface WaitOptions {
  /** How long to keep trying; the check always runs at least once. */
  timeoutMs: number;
  /** Pause between two checks (default 250 ms). */
  intervalMs?: number;
  /** Asked before each check: a reason to give up at once (the thing waited for has died). */
  abort?: () => string | undefined;
  /** The error thrown when the time is up; by default `not ready after N s`. */
  timeoutError?: () => Error | Promise<Error>;
}

/**
 * The one poll-until-deadline loop: runs `check` until it returns a value other than false or
 * undefined, and resolves with that value. An error thrown by `check` ends the wait with that
 * error (a crashed container is an answer, not a reason to keep trying); a check for which an
 * error only means "not yet" catches it itself.
 */
export async function waitFor<T>(check: () => Promise<T | false | undefined>, opts: WaitOptions): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    const reason = opts.abort?.();
    if (reason) throw new Error(reason);
    const found = await check();
    if (found !== false && found !== undefined) return found;
    if (Date.now() > deadline) {
      throw opts.timeoutError
        ? await opts.timeoutError()
        : new Error(`not ready after ${Math.round(opts.timeoutMs / 1000)} s`);
    }
    await sleep(opts.intervalMs ?? 250);
  }
}

/**
 * Resolves after `ms`, or at once when `signal` aborts. Its abort listener goes either way, so a
 * loop that pauses on one long-lived signal adds none per pass (Node warns past ten).
 */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
