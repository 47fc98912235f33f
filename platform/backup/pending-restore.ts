import fs from 'node:fs';
import path from 'node:path';
import { homePaths, type PlatformEnv } from '../../core/config.js';
import { recreateDatabase } from '../postgres.js';
import { restoreDatabase } from './dump-tools.js';
import { checkExternalDatabaseEmpty } from './external-database.js';
import { databaseLabel } from '../../db/pool.js';

/** The dump `roro server restore` leaves for the next start. */
export function pendingDumpPath(home: string): string {
  return path.join(homePaths(home).restore, 'platform.pgdump');
}

/**
 * Runs at start, once the database answers and before migrations and the admin bootstrap: loads
 * the dump a restore left, into a fresh embedded database or the empty external one. The dump is removed only once loaded, so a
 * failed load is tried again at the next start.
 */
export async function applyPendingRestore(env: PlatformEnv, log: (line: string) => void): Promise<boolean> {
  const dump = pendingDumpPath(env.home);
  if (!fs.existsSync(dump)) return false;
  log(`restoring the platform database from the backup into ${databaseLabel(env)}`);
  // An external database is never dropped: it was empty at restore time and must still be.
  if (env.externalDatabaseUrl) await checkExternalDatabaseEmpty(env);
  else await recreateDatabase(env);
  await restoreDatabase(env, dump);
  fs.rmSync(dump, { force: true });
  log('platform database restored');
  return true;
}
