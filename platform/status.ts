import https from 'node:https';
import fs from 'node:fs';
import path from 'node:path';
import { homePaths, type PlatformEnv } from '../core/config.js';
import { dockerClient } from './components.js';
import { pingWorker } from './ping.js';
import { portAnswers } from './proc.js';
import { readState } from './state.js';

export interface ComponentReport {
  name: string;
  status: 'up' | 'down';
  url: string;
  detail?: string;
}

const guard = async (fn: () => Promise<boolean>): Promise<{ ok: boolean; detail?: string }> => {
  try {
    return { ok: await fn() };
  } catch (err) {
    return { ok: false, detail: (err as Error).message };
  }
};

function gatewayAnswers(env: PlatformEnv): Promise<boolean> {
  const ca = path.join(homePaths(env.home).tls, 'ca.crt');
  return new Promise((resolve) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port: env.ports.gatewayHttps,
        path: '/',
        servername: env.domain,
        headers: { host: env.domain },
        ca: fs.existsSync(ca) ? fs.readFileSync(ca) : undefined,
        rejectUnauthorized: false,
        timeout: 2000,
      },
      (res) => {
        res.resume();
        resolve(true);
      },
    );
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/** Probes every component directly; the worker is proven by running the `ping` workflow. */
export async function platformStatus(env: PlatformEnv): Promise<ComponentReport[]> {
  const state = readState(env.home);
  const checks: [string, string, () => Promise<boolean>][] = [
    ['postgres', `postgres://127.0.0.1:${env.ports.postgres}/roro`, () => portAnswers(env.ports.postgres)],
    [
      'temporal',
      env.temporalAddress,
      () => portAnswers(Number(env.temporalAddress.split(':').pop()), env.temporalAddress.split(':')[0]),
    ],
    [
      'temporal-ui',
      `http://127.0.0.1:${env.ports.temporalUi}`,
      async () =>
        (await fetch(`http://127.0.0.1:${env.ports.temporalUi}/`, { signal: AbortSignal.timeout(2000) })).ok,
    ],
    ['docker', `unix://${env.dockerSocket}`, async () => Boolean(await dockerClient(env).ping())],
    [
      'api',
      env.apiUrl,
      async () => (await fetch(`${env.apiUrl}/v1/health`, { signal: AbortSignal.timeout(2000) })).ok,
    ],
    ['gateway', `${env.gatewayUrl}/`, () => gatewayAnswers(env)],
    ['worker', `task queue ${env.taskQueue}`, () => pingWorker(env, 8000)],
  ];
  if (env.temporalExternal) checks.splice(2, 1);
  const results = await Promise.all(
    checks.map(async ([name, url, fn]) => ({ name, url, ...(await guard(fn)) })),
  );
  return results.map(({ name, url, ok, detail }) => {
    const managed = state?.components.find((c) => c.name === name);
    const note =
      managed?.status === 'external'
        ? 'not started by roro'
        : managed?.status === 'restarting'
          ? 'restarting'
          : undefined;
    return { name, status: ok ? 'up' : 'down', url, ...(detail || note ? { detail: detail ?? note } : {}) };
  });
}
