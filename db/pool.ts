import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { homePaths, type PlatformEnv } from '../core/config.js';

export const DB_USER = 'roro';
export const DB_NAME = 'roro';

export function postgresPasswordFile(home: string): string {
  return path.join(homePaths(home).secrets, 'postgres-password');
}

/** RORO_DATABASE_URL wins; otherwise the embedded cluster with the password kept in RORO_HOME/secrets. */
export function databaseUrl(env: PlatformEnv, environ: NodeJS.ProcessEnv = process.env): string {
  if (environ.RORO_DATABASE_URL) return environ.RORO_DATABASE_URL;
  const password = fs.readFileSync(postgresPasswordFile(env.home), 'utf8').trim();
  return `postgres://${DB_USER}:${encodeURIComponent(password)}@127.0.0.1:${env.ports.postgres}/${DB_NAME}`;
}

export function createPool(env: PlatformEnv, max = 10): pg.Pool {
  const pool = new pg.Pool({ connectionString: databaseUrl(env), max, idleTimeoutMillis: 30_000 });
  // An idle client losing its connection (database restart) must not crash the process.
  pool.on('error', (err) => console.error(`postgres pool error: ${err.message}`));
  return pool;
}

/** The TCP port the pool connects to, so a refused connection to it can be told apart from others. */
export function poolPort(pool: pg.Pool): number | undefined {
  const { port, connectionString } = pool.options;
  if (port) return Number(port);
  if (!connectionString) return undefined;
  try {
    return Number(new URL(connectionString).port || 5432);
  } catch {
    return undefined;
  }
}
