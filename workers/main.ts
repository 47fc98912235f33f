import { fileURLToPath } from 'node:url';
import Docker from 'dockerode';
import { NativeConnection, Worker } from '@temporalio/worker';
import { parsePlatformEnv } from '../core/config.js';
import { createPool } from '../db/pool.js';
import { createActivities } from '../activities/index.js';
import { permanentDatabaseErrors } from './permanent-errors.js';

async function main(): Promise<void> {
  const env = parsePlatformEnv();
  const db = createPool(env);
  const docker = new Docker({ socketPath: env.dockerSocket });
  const connection = await NativeConnection.connect({ address: env.temporalAddress });
  const worker = await Worker.create({
    connection,
    namespace: env.temporalNamespace,
    taskQueue: env.taskQueue,
    workflowsPath: fileURLToPath(new URL('../workflows/index.js', import.meta.url)),
    activities: createActivities({ env, db, docker }),
    interceptors: { activity: [permanentDatabaseErrors] },
    // Each running job holds an activity slot while it follows the job's logs; they mostly wait.
    maxConcurrentActivityTaskExecutions: 200,
  });
  console.log(`worker polling task queue ${env.taskQueue} on ${env.temporalAddress}`);
  // Worker.run() handles SIGTERM/SIGINT: it stops polling and lets running activities finish.
  await worker.run();
  await connection.close();
  await db.end();
}

main().catch((err: unknown) => {
  console.error(`worker failed: ${(err as Error).stack ?? String(err)}`);
  process.exit(1);
});
