import { proxyActivities } from '@temporalio/workflow';
import type { PlatformActivities } from '../activities/index.js';

const { ping: pingActivity } = proxyActivities<PlatformActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { maximumAttempts: 1 },
});

/** A tiny workflow that `roro server status` runs to prove a worker polls the task queue. */
export async function ping(nonce: string): Promise<string> {
  return await pingActivity(nonce);
}
