import Docker from 'dockerode';
import { parsePlatformEnv } from '../../core/config.js';
import { createLogger, lineLogger } from '../../core/logger.js';
import { createPool } from '../../db/pool.js';
import { connectTemporal } from '../../temporal/connection.js';
import { platformDriver } from '../../containers/engine-driver.js';
import { platformGateway } from '../../gateway/platform-gateway.js';
import { Healer } from './healer.js';
import { runOrphanSweeps } from './orphans.js';

const logger = createLogger('healer');

/** The healer component's process: `roro server up` starts it after the worker, and restarts it if it dies. */
async function main(): Promise<void> {
  const env = parsePlatformEnv();
  const log = lineLogger(logger);
  const db = createPool(env, 4);
  const { client, connection } = await connectTemporal(env);
  const driver = platformDriver(new Docker({ socketPath: env.dockerSocket }), env);
  const gateway = await platformGateway(env);
  const healer = new Healer({ env, db, driver, gateway, temporal: client, log });
  const stop = new AbortController();
  const shutdown = () => {
    log('healer stopping');
    stop.abort();
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  log('healer watching services');
  // Operations whose workflow ended without closing their row are closed here, so none stays running.
  const sweeps = runOrphanSweeps({ db, temporal: client, driver, gateway, home: env.home, log }, stop.signal);
  await healer.run(stop.signal);
  await sweeps;
  await connection.close();
  await db.end();
  process.exit(0);
}

main().catch((err: unknown) => {
  logger.fatal({ err }, 'healer failed');
  process.exit(1);
});
