import { once } from 'node:events';
import type { MockActivityEnvironment } from '@temporalio/testing';

/**
 * A stand-in for a slow call (a container stop or removal): it finishes only once the activity
 * running it has heartbeaten, and fails after 5 s without a heartbeat.
 */
export function heartbeatSeen(env: MockActivityEnvironment): () => Promise<void> {
  const beaten = once(env, 'heartbeat');
  return async () => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error('no heartbeat while the call was under way')), 5000);
    });
    try {
      await Promise.race([beaten, timeout]);
    } finally {
      clearTimeout(timer);
    }
  };
}
