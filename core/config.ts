import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseLogLimits, type LogLimits } from './log-limits.js';
import { readClusterSetting } from './cluster-setting.js';

/** The repository root (this file compiles to dist/core/config.js). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface Ports {
  api: number;
  gatewayHttps: number;
  gatewayHttp: number;
  postgres: number;
  temporal: number;
  temporalUi: number;
  /** The image registry every node pulls from, in cluster mode (on all addresses: the nodes reach it). */
  registry: number;
}

/** Server-side settings, parsed once from the environment at start. */
export interface PlatformEnv {
  home: string;
  domain: string;
  ports: Ports;
  /** Address of the Temporal frontend; when TEMPORAL_ADDRESS is set the platform starts no server of its own. */
  temporalAddress: string;
  temporalExternal: boolean;
  /** RORO_DATABASE_URL: an external PostgreSQL database; the platform then starts no cluster of its own. */
  externalDatabaseUrl?: string;
  temporalNamespace: string;
  taskQueue: string;
  /** The engine's Unix socket: DOCKER_SOCKET, else DOCKER_HOST=unix://..., else /var/run/docker.sock. */
  dockerSocket: string;
  /** Cluster mode: Docker Swarm on that engine (RORO_CLUSTER=1, or remembered in RORO_HOME). */
  cluster: boolean;
  /** RORO_CLUSTER_ADVERTISE_ADDR: the address other nodes reach this manager at (Swarm's --advertise-addr). */
  clusterAdvertiseAddr?: string;
  /** RORO_REGISTRY_ADDR: the address the nodes reach the registry at (default: this node's Swarm address). */
  registryAddr?: string;
  /** Public base URL of the gateway, e.g. https://localhost:7443 */
  gatewayUrl: string;
  apiUrl: string;
  venv: string;
  /** Size cap and kept files of every platform log (RORO_LOG_MAX_BYTES, RORO_LOG_FILES). */
  logs: LogLimits;
  /** RORO_GATEWAY_API=1: the gateway also serves the platform API (login included) under /api/. */
  gatewayApi: boolean;
}

function defaultHome(): string {
  if (process.getuid?.() === 0) return '/var/lib/roro';
  const xdg = process.env.XDG_DATA_HOME ?? path.join(os.homedir(), '.local', 'share');
  return path.join(xdg, 'roro');
}

/** An on/off setting: unset, '', 0 or false is off; 1 or true is on; anything else is refused. */
export function flag(env: NodeJS.ProcessEnv, name: string): boolean {
  const raw = (env[name] ?? '').trim().toLowerCase();
  if (raw === '' || raw === '0' || raw === 'false') return false;
  if (raw === '1' || raw === 'true') return true;
  throw new Error(`${name}=${env[name]} is not an on/off setting: set it to 1 or 0.`);
}

function port(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    throw new Error(`${name}=${raw} is not a TCP port: set it to a number between 1 and 65535.`);
  }
  return n;
}

/** TEMPORAL_ADDRESS is host:port, as the Temporal SDK wants it (no scheme). */
function hostPort(name: string, raw: string): void {
  const m = /^([^\s:/]+|\[[0-9a-fA-F:]+\]):(\d+)$/.exec(raw);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) {
    throw new Error(
      `${name}=${raw} is not host:port: set it to the Temporal frontend's address, e.g. temporal.internal:7233 (no scheme).`,
    );
  }
}

/** The platform talks to its engine over a Unix socket; DOCKER_HOST is honoured when it names one. */
function dockerSocket(env: NodeJS.ProcessEnv): string {
  if (env.DOCKER_SOCKET) return env.DOCKER_SOCKET;
  const host = env.DOCKER_HOST;
  if (!host) return '/var/run/docker.sock';
  if (host.startsWith('unix://') && host.length > 'unix://'.length) return host.slice('unix://'.length);
  throw new Error(
    `DOCKER_HOST=${host} is not a Unix socket: roro talks to its Docker engine over one; set DOCKER_HOST=unix:///path/to/docker.sock (or DOCKER_SOCKET=/path/to/docker.sock).`,
  );
}

/** RORO_DATABASE_URL must be a postgres:// URL naming a host and a database. */
function databaseUrlSetting(raw: string): string {
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (!url || !/^postgres(ql)?:$/.test(url.protocol) || !url.hostname || url.pathname.length < 2) {
    throw new Error(
      'RORO_DATABASE_URL is not a PostgreSQL URL: set it to postgres://USER:PASSWORD@HOST:PORT/DATABASE.',
    );
  }
  return raw;
}

export function parsePlatformEnv(env: NodeJS.ProcessEnv = process.env): PlatformEnv {
  const home = path.resolve(env.RORO_HOME ?? defaultHome());
  const base = port(env, 'RORO_PORT_BASE', 7400);
  const ports: Ports = {
    api: port(env, 'RORO_API_PORT', base),
    gatewayHttps: port(env, 'RORO_GATEWAY_PORT', base + 43),
    gatewayHttp: port(env, 'RORO_GATEWAY_HTTP_PORT', base + 80),
    postgres: port(env, 'RORO_POSTGRES_PORT', base + 32),
    temporal: port(env, 'RORO_TEMPORAL_PORT', base + 33),
    temporalUi: port(env, 'RORO_TEMPORAL_UI_PORT', base + 34),
    registry: port(env, 'RORO_REGISTRY_PORT', base + 50),
  };
  const domain = env.RORO_DOMAIN ?? 'localhost';
  const temporalExternal = Boolean(env.TEMPORAL_ADDRESS);
  if (temporalExternal) hostPort('TEMPORAL_ADDRESS', env.TEMPORAL_ADDRESS!);
  const externalDatabaseUrl = env.RORO_DATABASE_URL ? databaseUrlSetting(env.RORO_DATABASE_URL) : undefined;
  return {
    home,
    domain,
    ports,
    temporalAddress: env.TEMPORAL_ADDRESS || `127.0.0.1:${ports.temporal}`,
    temporalExternal,
    ...(externalDatabaseUrl ? { externalDatabaseUrl } : {}),
    temporalNamespace: env.TEMPORAL_NAMESPACE || 'default',
    taskQueue: env.RORO_TASK_QUEUE || 'roro',
    dockerSocket: dockerSocket(env),
    cluster: env.RORO_CLUSTER ? flag(env, 'RORO_CLUSTER') : readClusterSetting(home) !== undefined,
    ...(env.RORO_CLUSTER_ADVERTISE_ADDR ? { clusterAdvertiseAddr: env.RORO_CLUSTER_ADVERTISE_ADDR } : {}),
    ...(env.RORO_REGISTRY_ADDR ? { registryAddr: env.RORO_REGISTRY_ADDR } : {}),
    gatewayUrl: `https://${domain}:${ports.gatewayHttps}`,
    apiUrl: `http://127.0.0.1:${ports.api}`,
    venv: env.RORO_VENV || path.join(REPO_ROOT, '.venv'),
    logs: parseLogLimits(env),
    gatewayApi: flag(env, 'RORO_GATEWAY_API'),
  };
}

/** Well-known places inside RORO_HOME. */
export function homePaths(home: string) {
  return {
    home,
    logs: path.join(home, 'logs'),
    run: path.join(home, 'run'),
    secrets: path.join(home, 'secrets'),
    postgres: path.join(home, 'postgres'),
    temporalDb: path.join(home, 'temporal.db'),
    tls: path.join(home, 'tls'),
    gateway: path.join(home, 'gateway'),
    volumes: path.join(home, 'volumes'),
    builds: path.join(home, 'builds'),
    /** The code archive of every release, kept so a missing image can be rebuilt (releases/<projectId>/<sha256>.tar.gz). */
    releases: path.join(home, 'releases'),
    models: path.join(home, 'models'),
    /** Work left by `roro server restore` for the next start (the database dump to load). */
    restore: path.join(home, 'restore'),
    docker: path.join(home, 'docker'),
  };
}

/** Directory mounted read-only at /run/roro in every container; it holds only the API socket. */
export const apiSocketDir = (home: string) => path.join(homePaths(home).run, 'api');
export const apiSocketPath = (home: string) => path.join(apiSocketDir(home), 'api.sock');

/** Where a project's volume lives on the host. */
export function volumeDir(home: string, projectId: string, volume: string): string {
  return path.join(homePaths(home).volumes, projectId, volume);
}

/** The log file of a platform component. */
export function logPath(home: string, component: string): string {
  return path.join(homePaths(home).logs, `${component}.log`);
}
