import { fileURLToPath } from 'node:url';
import Docker from 'dockerode';
import { NativeConnection, Worker } from '@temporalio/worker';
import { parsePlatformEnv } from '../core/config.js';
import { createLogger } from '../core/logger.js';
import { createPool } from '../db/pool.js';
import { createActivities } from '../activities/index.js';
import { permanentDatabaseErrors } from './permanent-errors.js';
import { installTemporalLogger } from './temporal-logger.js';

const logger = createLogger('worker');

async function main(): Promise<void> {
  const env = parsePlatformEnv();
  // Before any connection: the Runtime's logger is fixed when it is first created.
  installTemporalLogger(logger);
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
  logger.info(
    { taskQueue: env.taskQueue },
    `worker polling task queue ${env.taskQueue} on ${env.temporalAddress}`,
  );
  // Worker.run() handles SIGTERM/SIGINT: it stops polling and lets running activities finish.
  await worker.run();
  await connection.close();
  await db.end();
}

main().catch((err: unknown) => {
  logger.fatal({ err }, 'worker failed');
  process.exit(1);
});
