import fs from 'node:fs';
import { logPath, parsePlatformEnv } from '../core/config.js';
import { createLogger, lineLogger } from '../core/logger.js';
import { buildComponents } from './components.js';
import { bootstrapDatabase } from './bootstrap.js';
import { applyPendingRestore } from './backup/pending-restore.js';
import { Supervisor } from './supervisor.js';
import { ensureSearchAttributes } from '../temporal/ensure-search-attributes.js';
import { supervisorPidPath } from './state.js';
import { RotatingLog } from './rotating-log.js';
import { captureOwnOutput } from './own-output.js';
import { startCluster } from './cluster.js';

let ownLog: RotatingLog | undefined;
const logger = createLogger('supervisor');

/** Ends the process once its own log has everything it printed. */
async function exit(code: number): Promise<never> {
  await ownLog?.close();
  process.exit(code);
}

/** The long-running parent of every embedded component; `roro server up` starts it detached. */
async function main(): Promise<void> {
  const env = parsePlatformEnv();
  ownLog = new RotatingLog(logPath(env.home, 'supervisor'), env.logs);
  captureOwnOutput(ownLog);
  process.on('uncaughtException', (err) => {
    logger.fatal({ err }, 'supervisor failed');
    void exit(1);
  });
  const pidFile = supervisorPidPath(env.home);
  fs.writeFileSync(pidFile, String(process.pid));
  const log = lineLogger(logger);
  const supervisor = new Supervisor(env, await buildComponents(env), {
    afterComponent: async (name) => {
      if (name === 'postgres') {
        // A restored database is loaded first, so migrations bring an older backup up to date.
        await applyPendingRestore(env, log);
        return { admin: await bootstrapDatabase(env, log) };
      }
      if (name === 'docker' && env.cluster) await startCluster(env, log);
      if (name === 'temporal' && env.temporalExternal) {
        // The embedded server gets them as start flags; an external cluster gets them here.
        const added = await ensureSearchAttributes(env).catch((err: Error) => {
          log(`could not register search attributes RoroProject/RoroKind: ${err.message}`);
          return [];
        });
        if (added.length) log(`registered search attributes ${added.join(', ')}`);
      }
      return undefined;
    },
  });
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    log('supervisor stopping');
    await supervisor.stopAll();
    fs.rmSync(pidFile, { force: true });
    log('supervisor stopped');
    await exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  const ok = await supervisor.start();
  if (!ok) {
    fs.rmSync(pidFile, { force: true });
    await exit(1);
  }
}

main().catch(async (err: unknown) => {
  logger.fatal({ err }, 'supervisor failed');
  await exit(1);
});
