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
export function databaseUrl(env: PlatformEnv): string {
  if (env.externalDatabaseUrl) return env.externalDatabaseUrl;
  const password = fs.readFileSync(postgresPasswordFile(env.home), 'utf8').trim();
  return `postgres://${DB_USER}:${encodeURIComponent(password)}@127.0.0.1:${env.ports.postgres}/${DB_NAME}`;
}

/** The database's address without its password, for status and logs. */
export function databaseLabel(env: PlatformEnv): string {
  if (!env.externalDatabaseUrl) return `postgres://127.0.0.1:${env.ports.postgres}/${DB_NAME}`;
  const url = new URL(env.externalDatabaseUrl);
  return `${url.protocol}//${url.username ? `${url.username}@` : ''}${url.host}${url.pathname}`;
}

/** Host and port the database listens on (5432 when the URL names none). */
export function databaseHostPort(env: PlatformEnv): { host: string; port: number } {
  if (!env.externalDatabaseUrl) return { host: '127.0.0.1', port: env.ports.postgres };
  const url = new URL(env.externalDatabaseUrl);
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || 5432) };
}

/** Connects once and runs `SELECT 1`; throws the driver's reason when the database does not answer. */
export async function databaseAnswers(env: PlatformEnv, timeoutMs = 3000): Promise<boolean> {
  const client = new pg.Client({ connectionString: databaseUrl(env), connectionTimeoutMillis: timeoutMs });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } finally {
    await client.end().catch(() => {});
  }
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
