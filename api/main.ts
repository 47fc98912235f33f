import { apiSocketPath, parsePlatformEnv } from '../core/config.js';
import { createLogger, lineLogger } from '../core/logger.js';
import { createPool } from '../db/pool.js';
import { migrate } from '../db/migrate.js';
import { connectTemporal } from '../temporal/connection.js';
import { createApp } from './app.js';
import { listenOnSocket } from './socket.js';

const logger = createLogger('api');

async function main(): Promise<void> {
  const env = parsePlatformEnv();
  const log = lineLogger(logger);
  const db = createPool(env);
  await migrate(db, log);
  const { client } = await connectTemporal(env);
  const app = createApp({
    env,
    db,
    temporal: client,
    log: lineLogger(logger, 'error'),
    requestLog: (line) => logger.info(line, 'request'),
  });
  const server = app.listen(env.ports.api, '127.0.0.1', () => log(`api listening on ${env.apiUrl}`));
  server.on('error', (err) => {
    logger.fatal(`api: cannot listen on 127.0.0.1:${env.ports.api}: ${err.message}`);
    process.exit(1);
  });
  const sock = await listenOnSocket(env.home, app).catch((err: Error) => {
    logger.fatal(`api: cannot listen on ${apiSocketPath(env.home)}: ${err.message}`);
    process.exit(1);
  });
  log(
    sock
      ? `api listening on ${apiSocketPath(env.home)} (for containers)`
      : `another api serves ${apiSocketPath(env.home)} (for containers); this one serves 127.0.0.1:${env.ports.api} only`,
  );
  const stop = () => {
    log('api stopping');
    sock?.close();
    server.close(() => void db.end().then(() => process.exit(0)));
    setTimeout(() => process.exit(0), 5000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err: unknown) => {
  logger.fatal({ err }, 'api failed to start');
  process.exit(1);
});
