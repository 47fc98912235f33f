import path from 'node:path';
import type { PlatformEnv } from '../../core/config.js';
import { RoroError } from '../../core/errors.js';
import { databaseUrl } from '../../db/pool.js';
import { execFileP } from '../proc.js';
import { postgresBinDir } from '../postgres.js';

/** Connection flags for the PostgreSQL tools; the password travels in the environment, never in argv. */
function pgConnection(env: PlatformEnv, database?: string): { args: string[]; env: NodeJS.ProcessEnv } {
  const url = new URL(databaseUrl(env));
  return {
    args: [
      '--host',
      url.hostname,
      '--port',
      url.port || '5432',
      '--username',
      decodeURIComponent(url.username),
      '--dbname',
      database ?? url.pathname.slice(1),
      '--no-password',
    ],
    env: { ...process.env, PGPASSWORD: decodeURIComponent(url.password) },
  };
}

function toolFailed(what: string, err: unknown): RoroError {
  const stderr = String((err as { stderr?: string }).stderr ?? (err as Error).message).trim();
  return new RoroError(`${what} failed: ${stderr.split('\n').slice(-3).join(' / ')}`, {
    code: 'backup_tool_failed',
    cause: err,
  });
}

/** pg_dump in custom format: one consistent snapshot of the platform database, taken while it runs. */
export async function dumpDatabase(env: PlatformEnv, file: string): Promise<void> {
  const conn = pgConnection(env);
  await execFileP(
    path.join(postgresBinDir(), 'pg_dump'),
    [...conn.args, '--format=custom', '--compress=6', '--file', file],
    { env: conn.env, maxBuffer: 10 * 1024 * 1024 },
  ).catch((err: unknown) => {
    throw toolFailed('pg_dump of the platform database', err);
  });
}

/** Loads a custom-format dump into an empty database, all or nothing. */
export async function restoreDatabase(env: PlatformEnv, file: string): Promise<void> {
  const conn = pgConnection(env);
  await execFileP(
    path.join(postgresBinDir(), 'pg_restore'),
    [...conn.args, '--no-owner', '--exit-on-error', '--single-transaction', file],
    { env: conn.env, maxBuffer: 10 * 1024 * 1024 },
  ).catch((err: unknown) => {
    throw toolFailed('pg_restore of the platform database', err);
  });
}

/**
 * Copies a live SQLite database with SQLite's online backup API (the Temporal dev server writes
 * it in WAL mode, so copying the file could catch half a transaction), then makes the copy a
 * self-contained file and checks it.
 */
export async function copySqlite(source: string, dest: string): Promise<void> {
  if (/['\n]/.test(dest)) throw new Error(`unsupported character in ${dest}`);
  const sqlite = async (args: string[]) =>
    (await execFileP('sqlite3', ['-bail', ...args], { maxBuffer: 10 * 1024 * 1024 })).stdout.trim();
  try {
    await sqlite([source, '.timeout 30000', `.backup '${dest}'`]);
    const check = await sqlite([dest, 'PRAGMA journal_mode=DELETE;', 'PRAGMA quick_check;']);
    if (!check.endsWith('ok')) throw new Error(`the copy fails its integrity check: ${check}`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new RoroError('The sqlite3 command is missing; it copies the Temporal database.', {
        code: 'backup_tool_missing',
        hint: 'Install it with `apt-get install sqlite3` (scripts/setup.sh does).',
      });
    }
    throw toolFailed('Copying the Temporal database', err);
  }
}
