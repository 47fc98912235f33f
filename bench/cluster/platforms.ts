/**
 * The two platforms the cluster benchmark compares: the one `roro server up` started (local driver),
 * found from RORO_HOME alone, and a cluster-mode one (Swarm driver) that the benchmark starts on a
 * Docker engine of its own, with its state in the first one's PostgreSQL and Temporal.
 */
import fs from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import { homePaths, parsePlatformEnv, type PlatformEnv } from '../../core/config.js';
import { readState } from '../../platform/state.js';
import { connectTemporal } from '../../temporal/connection.js';
import { adminLogin, api } from '../../test/helpers/platform.js';
import { loadPlatformImages, startSecondEngine } from '../../test/helpers/second-engine.js';
import { secondPlatform } from '../../test/helpers/second-platform.js';
import type { Cleanup } from './cleanup.js';

/** A platform signed in as its admin, with the benchmark's project on it. */
export interface Target {
  label: 'local' | 'Swarm';
  env: PlatformEnv;
  token: string;
  ca: Buffer;
  project: string;
}

/**
 * The running platform of RORO_HOME. Without RORO_PORT_BASE its ports are read from the
 * supervisor's state file, whose API address is the port base when no port was set on its own.
 */
export function baselineEnv(): PlatformEnv {
  const home = parsePlatformEnv().home;
  const state = readState(home);
  if (!state || state.status !== 'up')
    throw new Error(`no running platform in ${home}: start it with roro server up (or set RORO_HOME).`);
  if (!process.env.RORO_PORT_BASE) {
    const api = state.components.find((c) => c.name === 'api')?.url;
    if (api) process.env.RORO_PORT_BASE = new URL(api).port;
  }
  // The cluster-mode platform inherits the admin's email and password, so one login works on both.
  if (!process.env.RORO_ADMIN_EMAIL && state.admin?.email) process.env.RORO_ADMIN_EMAIL = state.admin.email;
  if (
    !process.env.RORO_ADMIN_PASSWORD &&
    !fs.existsSync(path.join(homePaths(home).secrets, 'admin-password'))
  )
    throw new Error(
      `${home} keeps no admin password (roro server up was given RORO_ADMIN_PASSWORD): set RORO_ADMIN_PASSWORD to it.`,
    );
  const env = parsePlatformEnv();
  if (env.cluster)
    throw new Error(
      `the platform in ${home} runs in cluster mode: the baseline must use the local driver; point RORO_HOME at a platform started without --cluster.`,
    );
  return env;
}

async function target(
  label: Target['label'],
  env: PlatformEnv,
  project: string,
  cleanup: Cleanup,
): Promise<Target> {
  const token = await adminLogin(env);
  const ca = fs.readFileSync(path.join(homePaths(env.home).tls, 'ca.crt'));
  return addProject({ label, env, token, ca, project: '' }, project, cleanup);
}

/** Makes another project on the same platform (deleted by the cleanup); returns the target for it. */
export async function addProject(t: Target, project: string, cleanup: Cleanup): Promise<Target> {
  const made = await api('POST', '/v1/projects', {
    token: t.token,
    body: { name: project },
    baseUrl: t.env.apiUrl,
  });
  if (made.status !== 201)
    throw new Error(
      `creating ${project} on the ${t.label} platform: ${made.status} ${JSON.stringify(made.body)}`,
    );
  const id = String(made.body.project.id);
  cleanup.add(`delete ${project} on the ${t.label} platform`, () => removeProject(t.env, project, id));
  return { ...t, project };
}

/**
 * Deletes the project through the API and waits, up to 2 minutes, for the workflow that removes its
 * containers, images and routes (api/projects.ts startProjectRemoval).
 */
async function removeProject(env: PlatformEnv, project: string, id: string): Promise<void> {
  const token = await adminLogin(env);
  const res = await api('DELETE', `/v1/projects/${project}`, { token, baseUrl: env.apiUrl });
  if (res.status !== 200) throw new Error(`DELETE ${project}: ${res.status} ${JSON.stringify(res.body)}`);
  const { client, connection } = await connectTemporal(env);
  try {
    const removal = client.workflow.getHandle(`remove:${project}:${id}`).result();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`the removal of ${project} did not end in 2 minutes`)),
        120_000,
      );
    });
    await Promise.race([removal, late]).finally(() => clearTimeout(timer));
  } finally {
    await connection.close();
  }
}

export async function localTarget(cleanup: Cleanup, project: string): Promise<Target> {
  return target('local', baselineEnv(), project, cleanup);
}

/**
 * Starts the cluster-mode platform: an engine in its own network namespace (its index derived from
 * RORO_PORT_BASE, as the tests do), the host's base and runtime images copied into it, then
 * `roro server up --cluster` on ports 100 above the baseline's.
 */
export async function swarmTarget(
  cleanup: Cleanup,
  project: string,
  log: (s: string) => void,
): Promise<Target> {
  log('-----> a Docker engine of its own, in its own network namespace');
  const engine = await startSecondEngine(0);
  cleanup.add('stop the second engine', () => engine.down());
  log('-----> copying the base and runtime images into it');
  await loadPlatformImages(engine, new Docker({ socketPath: parsePlatformEnv().dockerSocket }));
  const second = await secondPlatform(100, {
    DOCKER_HOST: engine.dockerHost,
    RORO_REGISTRY_ADDR: engine.hostIp,
  });
  cleanup.add('stop the cluster-mode platform', () => second.remove([project]));
  log(`-----> roro server up --cluster (RORO_HOME ${second.home}, API ${second.env.apiUrl})`);
  const up = await second.cli(['server', 'up', '--cluster']);
  if (up.code !== 0)
    throw new Error(`roro server up --cluster failed:\n${(up.stdout + up.stderr).slice(-3000)}`);
  return target('Swarm', second.env, project, cleanup);
}
