import crypto from 'node:crypto';
import type { PlatformEnv } from '../core/config.js';
import { connectTemporal } from '../temporal/connection.js';
import { workflowIds } from '../temporal/ids.js';

/** Runs the tiny `ping` workflow: it completes only if a worker polls the platform's task queue. */
export async function pingWorker(env: PlatformEnv, timeoutMs: number): Promise<boolean> {
  const { client, connection } = await connectTemporal(env, { connectTimeoutMs: 3000 });
  try {
    const nonce = crypto.randomBytes(6).toString('hex');
    const handle = await client.workflow.start('ping', {
      taskQueue: env.taskQueue,
      workflowId: workflowIds.ping(nonce),
      args: [nonce],
      workflowExecutionTimeout: `${Math.ceil(timeoutMs / 1000)}s`,
    });
    const result = await Promise.race([
      handle.result() as Promise<string>,
      new Promise<undefined>((r) => setTimeout(() => r(undefined), timeoutMs).unref()),
    ]);
    return typeof result === 'string' && result.startsWith(`pong:${nonce}`);
  } finally {
    await connection.close();
  }
}
