import pg from 'pg';
import type { PlatformEnv } from '../../core/config.js';
import { ConfigError, ConflictError } from '../../core/errors.js';
import { databaseLabel, databaseUrl } from '../../db/pool.js';

/** Tables, views and sequences of the database outside PostgreSQL's own schemas, by name. */
async function relationsIn(env: PlatformEnv): Promise<string[]> {
  const client = new pg.Client({ connectionString: databaseUrl(env), connectionTimeoutMillis: 5000 });
  client.on('error', () => {});
  try {
    await client.connect();
    const res = await client.query<{ name: string }>(
      `SELECT n.nspname || '.' || c.relname AS name FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
         AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
       ORDER BY 1`,
    );
    return res.rows.map((r) => r.name);
  } catch (err) {
    throw new ConfigError(
      `The database at RORO_DATABASE_URL (${databaseLabel(env)}) does not answer: ${(err as Error).message}.`,
      'A restore loads the backup into that database: check RORO_DATABASE_URL and that this host may connect to it, then restore again.',
    );
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * With RORO_DATABASE_URL set, the backup is loaded into that database, never into an embedded
 * cluster; roro does not drop an external database, so it must be empty. Throws, naming the fix,
 * when it cannot be reached or already holds tables.
 */
export async function checkExternalDatabaseEmpty(env: PlatformEnv): Promise<void> {
  const found = await relationsIn(env);
  if (!found.length) return;
  const shown = found.slice(0, 3).join(', ') + (found.length > 3 ? `, and ${found.length - 3} more` : '');
  throw new ConflictError(
    `The database at RORO_DATABASE_URL (${databaseLabel(env)}) is not empty (${shown}); a restore loads the backup only into an empty database and never drops an external one.`,
    'Point RORO_DATABASE_URL at a new, empty database (CREATE DATABASE ... OWNER ...), or, if nothing else uses this one, empty it yourself (DROP SCHEMA public CASCADE; CREATE SCHEMA public;), then restore again.',
  );
}
