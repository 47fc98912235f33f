import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { homePaths, type PlatformEnv } from '../core/config.js';
import { DB_NAME, DB_USER, postgresPasswordFile } from '../db/pool.js';
import { execFileP, userIds } from './proc.js';

/** Debian installs server binaries per major version; take the newest. */
export function postgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root) ? fs.readdirSync(root).filter((v) => /^\d+$/.test(v)) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (!newest) {
    throw new Error(
      'PostgreSQL server binaries not found in /usr/lib/postgresql: run scripts/setup.sh (apt-get install postgresql).',
    );
  }
  return path.join(root, newest, 'bin');
}

/** PostgreSQL refuses to run as root, so as root the cluster belongs to Debian's `postgres` user. */
export async function postgresOwner(): Promise<{ uid: number; gid: number } | undefined> {
  return process.getuid?.() === 0 ? userIds('postgres') : undefined;
}

function ensurePassword(home: string): string {
  const file = postgresPasswordFile(home);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    fs.writeFileSync(file, crypto.randomBytes(24).toString('base64url'), { mode: 0o600 });
  }
  return fs.readFileSync(file, 'utf8').trim();
}

/** Creates the private cluster on first start; later starts find PG_VERSION and change nothing. */
export async function initCluster(env: PlatformEnv): Promise<boolean> {
  const dir = homePaths(env.home).postgres;
  if (fs.existsSync(path.join(dir, 'PG_VERSION'))) return false;
  const password = ensurePassword(env.home);
  const owner = await postgresOwner();
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const pwfile = path.join(env.home, `.pginit-${process.pid}`);
  fs.writeFileSync(pwfile, password, { mode: 0o600 });
  try {
    if (owner) {
      fs.chownSync(dir, owner.uid, owner.gid);
      fs.chownSync(pwfile, owner.uid, owner.gid);
    }
    const args = [
      '-D',
      dir,
      '-U',
      DB_USER,
      '--auth=scram-sha-256',
      `--pwfile=${pwfile}`,
      '-E',
      'UTF8',
      '--no-locale',
    ];
    await execFileP(path.join(postgresBinDir(), 'initdb'), args, {
      ...(owner ?? {}),
      cwd: '/',
      maxBuffer: 10 * 1024 * 1024,
    });
  } finally {
    fs.rmSync(pwfile, { force: true });
  }
  return true;
}

export function postgresArgs(env: PlatformEnv): string[] {
  return [
    '-D',
    homePaths(env.home).postgres,
    '-p',
    String(env.ports.postgres),
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'unix_socket_directories=',
    '-c',
    'max_connections=200',
  ];
}

/** Runs `fn` connected to the cluster's maintenance database `postgres`. */
async function withClusterClient(env: PlatformEnv, fn: (client: pg.Client) => Promise<void>): Promise<void> {
  const password = fs.readFileSync(postgresPasswordFile(env.home), 'utf8').trim();
  const client = new pg.Client({
    host: '127.0.0.1',
    port: env.ports.postgres,
    user: DB_USER,
    password,
    database: 'postgres',
  });
  await client.connect();
  try {
    await fn(client);
  } finally {
    await client.end();
  }
}

/** Creates the platform database inside the cluster if it is missing. */
export async function ensureDatabase(env: PlatformEnv): Promise<void> {
  await withClusterClient(env, async (client) => {
    const res = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DB_NAME]);
    if (!res.rowCount) await client.query(`CREATE DATABASE ${DB_NAME}`);
  });
}

/** Replaces the platform database with an empty one, for a restore; nothing else may be connected. */
export async function recreateDatabase(env: PlatformEnv): Promise<void> {
  await withClusterClient(env, async (client) => {
    await client.query(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
    await client.query(`CREATE DATABASE ${DB_NAME}`);
  });
}
