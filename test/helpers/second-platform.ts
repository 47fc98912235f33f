import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { parsePlatformEnv, type PlatformEnv } from '../../core/config.js';
import { databaseUrl } from '../../db/pool.js';
import { platformTag } from '../../domain/project-network.js';
import { roro, testEnv, unique } from './platform.js';
import Docker from 'dockerode';

/**
 * A second platform whose state lives outside its RORO_HOME: its database is a new one in the test
 * platform's PostgreSQL (RORO_DATABASE_URL) and its workflows run on the test platform's Temporal
 * (TEMPORAL_ADDRESS), on a task queue of its own. Its ports are the test platform's plus `offset`.
 */
export interface SecondPlatform {
  home: string;
  environ: NodeJS.ProcessEnv;
  env: PlatformEnv;
  database: URL;
  /** Runs `bin/roro` in its environment. */
  cli(args: string[], extra?: NodeJS.ProcessEnv): ReturnType<typeof roro>;
  /** Stops it, removes its containers and networks from its engine, its database and its home. */
  remove(projects?: string[]): Promise<void>;
}

export async function secondPlatform(offset: number, extra: NodeJS.ProcessEnv = {}): Promise<SecondPlatform> {
  const a = testEnv();
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'roro-second-'));
  const name = unique('roro_second').replace('-', '_');
  const admin = new pg.Client({ connectionString: databaseUrl(a) });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const database = new URL(databaseUrl(a));
  database.pathname = `/${name}`;
  const base = a.ports.api + offset;
  const inherited: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(inherited))
    if (/^(RORO_.*_PORT|RORO_CLUSTER.*|DOCKER_SOCKET|DOCKER_HOST)$/.test(key)) delete inherited[key];
  const environ: NodeJS.ProcessEnv = {
    ...inherited,
    RORO_HOME: home,
    RORO_PORT_BASE: String(base),
    RORO_DATABASE_URL: database.toString(),
    TEMPORAL_ADDRESS: a.temporalAddress,
    RORO_TASK_QUEUE: unique('roro-second'),
    RORO_URL: `http://127.0.0.1:${base}`,
    XDG_CONFIG_HOME: path.join(home, 'cli-config'),
    ...extra,
  };
  const env = parsePlatformEnv(environ);
  const cli = (args: string[], more: NodeJS.ProcessEnv = {}) =>
    roro(args, { env: { ...environ, ...more }, timeoutMs: 300_000 });
  return {
    home,
    environ,
    env,
    database,
    cli,
    remove: async (projects = []) => {
      await cli(['server', 'down']);
      await removeFromEngine(new Docker({ socketPath: env.dockerSocket }), home, projects);
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}

/** Removes the platform's containers (its projects' and its canary), networks and project images. */
async function removeFromEngine(docker: Docker, home: string, projects: string[]): Promise<void> {
  const tag = platformTag(home);
  const labels = [...projects.map((p) => `roro.project=${p}`), `roro.platform=${tag}`];
  for (const label of labels) {
    for (const c of await docker.listContainers({ all: true, filters: { label: [label] } }))
      await docker
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => undefined);
  }
  for (const n of await docker.listNetworks({ filters: { label: [`roro.platform=${tag}`] } }))
    await docker
      .getNetwork(n.Id)
      .remove()
      .catch(() => undefined);
  for (const p of projects) {
    for (const image of await docker.listImages({ filters: { label: [`roro.project=${p}`] } }))
      await docker
        .getImage(image.Id)
        .remove({ force: true })
        .catch(() => undefined);
  }
}
