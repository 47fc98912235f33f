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
