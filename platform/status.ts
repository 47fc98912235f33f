import https from 'node:https';
import fs from 'node:fs';
import path from 'node:path';
import { homePaths, type PlatformEnv } from '../core/config.js';
import { dockerClient, temporalAnswers } from './components.js';
import { databaseHostPort, databaseLabel } from '../db/pool.js';
import { pingWorker } from './ping.js';
import { portAnswers } from './proc.js';
import { readState } from './state.js';
import { readHealerReport } from './heal/healer.js';
import { CANARY_PATH, CANARY_REPLY } from './heal/canary.js';
import { clusterStatus } from './cluster.js';
import { registryAnswers } from './registry.js';
import { registryPaths } from '../core/cluster-setting.js';

export interface ComponentReport {
  name: string;
  /** `degraded`: the platform works, but some of the users' services do not serve fully. */
  status: 'up' | 'down' | 'degraded';
  url: string;
  detail?: string;
  /** Provided outside the platform (RORO_DATABASE_URL, TEMPORAL_ADDRESS, a running Docker engine). */
  external?: boolean;
}

const guard = async (fn: () => Promise<boolean>): Promise<{ ok: boolean; detail?: string }> => {
  try {
    return { ok: await fn() };
  } catch (err) {
    return { ok: false, detail: (err as Error).message };
  }
};

/** One HTTPS request through the gateway; resolves with the status and the first bytes of the body, or undefined when nothing answered. */
function gatewayGet(
  env: PlatformEnv,
  urlPath: string,
): Promise<{ status: number; body: string } | undefined> {
  const ca = path.join(homePaths(env.home).tls, 'ca.crt');
  return new Promise((resolve) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port: env.ports.gatewayHttps,
        path: urlPath,
        servername: env.domain,
        headers: { host: env.domain },
        ca: fs.existsSync(ca) ? fs.readFileSync(ca) : undefined,
        rejectUnauthorized: false,
        timeout: 3000,
      },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => {
          if (body.length < 4096) body += d.toString('utf8');
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', () => resolve(undefined));
      },
    );
    req.on('error', () => resolve(undefined));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

const HEALER_STALE_MS = 20_000;

/**
 * The services as the healer last saw them, and one request through the gateway to a serving
 * service: the gateway answering its own pages is not enough, the route to a container must work.
 */
async function serviceChecks(env: PlatformEnv): Promise<ComponentReport[]> {
  const report = readHealerReport(env.home);
  const fresh = report !== undefined && Date.now() - Date.parse(report.at) < HEALER_STALE_MS;
  const healer: ComponentReport = {
    name: 'healer',
    status: fresh ? 'up' : 'down',
    url: 'services at their desired state',
    ...(fresh ? {} : { detail: report ? `last sweep ${report.at}` : 'no sweep yet' }),
  };
  if (!report) return [healer];
  const down = report.services.filter((s) => s.status === 'down' || s.status === 'degraded');
  const services: ComponentReport = {
    name: 'services',
    // A user's crashing service is reported by name, but it does not make the platform down.
    status: down.length ? 'degraded' : 'up',
    url: `${report.services.length} wanted`,
    detail: down.length
      ? `not serving fully: ${down.map((s) => `${s.project}/${s.service} (${s.ready} of ${s.desired} ready)`).join(', ')}`
      : `all ${report.services.length} serving`,
  };
  // The platform's canary proves the path gateway → route table → a container's port with nothing
  // deployed; until the first build made its image, a serving user service stands in.
  const target = report.services.find((s) => s.status === 'running');
  if (report.canary === 'no-image' && !target) {
    const idle: ComponentReport = {
      name: 'route',
      status: 'up',
      url: `${env.gatewayUrl}${CANARY_PATH}`,
      detail: 'nothing to probe yet: the canary starts once the first deploy has built the base image',
    };
    return [healer, services, idle];
  }
  // The canary exists once its image does: from then on it is what is probed, and its failure is
  // reported; before that, a serving user service stands in.
  const label =
    target && (target.service === 'default' ? target.project : `${target.project}--${target.service}`);
  const useCanary = report.canary !== 'no-image' || !label;
  const probePath = useCanary ? CANARY_PATH : `/${label}${target!.healthPath ?? '/'}`;
  const answer = await gatewayGet(env, probePath);
  const ok = answer !== undefined && (useCanary ? answer.body === CANARY_REPLY : answer.status < 500);
  const route: ComponentReport = {
    name: 'route',
    status: ok ? 'up' : 'down',
    url: `${env.gatewayUrl}${probePath}`,
    detail:
      answer === undefined
        ? 'the gateway did not answer'
        : ok
          ? `answered ${answer.status}${useCanary ? ' from the canary container' : ''}`
          : `answered ${answer.status}: ${answer.status === 503 ? 'no instance is routed' : answer.status === 502 ? 'the container behind the route did not answer' : 'not the expected reply'}`,
  };
  return [healer, services, route];
}

/** True when the port accepts connections; otherwise says so (the row's note). */
async function listening(port: number, host: string): Promise<boolean> {
  // Generous: the other probes (the worker ping loads the Temporal client) can hold the event loop.
  if (await portAnswers(port, host, 3000)) return true;
  throw new Error(`nothing accepts connections on ${host}:${port}`);
}

/** The API answers /v1/health; a refusal says why (`answered 503: The database (PostgreSQL) is unreachable ...`). */
async function apiHealthy(env: PlatformEnv): Promise<boolean> {
  const res = await fetch(`${env.apiUrl}/v1/health`, { signal: AbortSignal.timeout(2000) });
  if (res.ok) return true;
  const body = (await res.json().catch(() => ({}))) as { error?: { message?: string } };
  throw new Error(`answered ${res.status}${body.error?.message ? `: ${body.error.message}` : ''}`);
}

function registryUrl(env: PlatformEnv): string {
  const file = registryPaths(env.home).address;
  return fs.existsSync(file)
    ? `https://${fs.readFileSync(file, 'utf8').trim()}`
    : `port ${env.ports.registry}`;
}

/** In cluster mode: the swarm's nodes, as the platform's engine (a manager) sees them. */
async function clusterRow(env: PlatformEnv): Promise<ComponentReport> {
  try {
    const c = await clusterStatus(env);
    return { name: 'cluster', status: c.ok ? 'up' : 'down', url: c.url, detail: c.detail };
  } catch (err) {
    return { name: 'cluster', status: 'down', url: 'swarm', detail: (err as Error).message };
  }
}

/** The settings that make a component external: the platform then uses it and starts none of its own. */
const EXTERNAL_SETTING: Record<string, string> = {
  postgres: 'RORO_DATABASE_URL',
  temporal: 'TEMPORAL_ADDRESS',
};

function isExternal(env: PlatformEnv, name: string): boolean {
  if (name === 'postgres') return env.externalDatabaseUrl !== undefined;
  if (name === 'temporal') return env.temporalExternal;
  return false;
}

/** Probes every component directly; the worker is proven by running the `ping` workflow. */
export async function platformStatus(env: PlatformEnv): Promise<ComponentReport[]> {
  const state = readState(env.home);
  const checks: [string, string, () => Promise<boolean>][] = [
    ['postgres', databaseLabel(env), () => listening(databaseHostPort(env).port, databaseHostPort(env).host)],
    [
      'temporal',
      env.temporalAddress,
      async () => {
        if (await temporalAnswers(env, 3000)) return true;
        throw new Error(`nothing accepts connections on ${env.temporalAddress}`);
      },
    ],
    [
      'temporal-ui',
      `http://127.0.0.1:${env.ports.temporalUi}`,
      async () =>
        (await fetch(`http://127.0.0.1:${env.ports.temporalUi}/`, { signal: AbortSignal.timeout(2000) })).ok,
    ],
    ['docker', `unix://${env.dockerSocket}`, async () => Boolean(await dockerClient(env).ping())],
    ['api', env.apiUrl, () => apiHealthy(env)],
    ['gateway', `${env.gatewayUrl}/`, async () => (await gatewayGet(env, '/')) !== undefined],
    ['worker', `task queue ${env.taskQueue}`, () => pingWorker(env, 8000)],
  ];
  if (env.temporalExternal) checks.splice(2, 1);
  if (env.cluster) checks.push(['registry', registryUrl(env), () => registryAnswers(env)]);
  const results = await Promise.all(
    checks.map(async ([name, url, fn]) => ({ name, url, ...(await guard(fn)) })),
  );
  const reports: ComponentReport[] = results.map(({ name, url, ok, detail }) => {
    const managed = state?.components.find((c) => c.name === name);
    const note =
      EXTERNAL_SETTING[name] && isExternal(env, name)
        ? `external (${EXTERNAL_SETTING[name]}), not started by roro`
        : managed?.status === 'external'
          ? 'not started by roro'
          : managed?.status === 'restarting'
            ? 'restarting'
            : undefined;
    return {
      name,
      status: ok ? 'up' : 'down',
      url,
      ...(detail || note ? { detail: detail ?? note } : {}),
      ...(isExternal(env, name) || managed?.status === 'external' ? { external: true } : {}),
    };
  });
  return [...reports, ...(env.cluster ? [await clusterRow(env)] : []), ...(await serviceChecks(env))];
}
