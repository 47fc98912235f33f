import { Context } from '@temporalio/activity';

/**
 * Runs `work` while heartbeating every second. Proxies that wait on containers set a heartbeat
 * timeout, so a worker that dies mid-call is noticed within it and the call is retried; an
 * activity under such a proxy that stops a container for ten seconds without a heartbeat would
 * time out instead, however well it was doing.
 */
export async function withHeartbeat<T>(work: () => Promise<T>): Promise<T> {
  const ctx = Context.current();
  ctx.heartbeat();
  const beat = setInterval(() => ctx.heartbeat(), 1000);
  try {
    return await work();
  } finally {
    clearInterval(beat);
  }
}

type AsyncFunctions = Record<string, (...args: never[]) => Promise<unknown>>;

/**
 * The same activities, each running under `withHeartbeat`. Every workflow profile can then set a
 * heartbeat timeout, so a call whose worker died is retried within seconds instead of after its
 * start-to-close timeout, whatever the activity does. No activity sends heartbeat details, so
 * these beats overwrite nothing.
 */
export function heartbeating<T extends AsyncFunctions>(activities: T): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(activities))
    wrapped[name] = (...args: never[]) => withHeartbeat(() => fn(...args));
  return wrapped as T;
}
