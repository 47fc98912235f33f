/**
 * Injecting a fault into the platform `roro server up` started, and waiting until it is back: the
 * component's pid comes from the supervisor's state file (RORO_HOME/run/supervisor.json), and
 * "back" means the supervisor has started it again and reports it up. dockerd is found by its
 * command line, as test/last/engine-restart.test.ts does; whoever runs it brings it back.
 */
import fs from 'node:fs';
import Docker from 'dockerode';
import type { PlatformEnv } from '../../core/config.js';
import { readState } from '../../platform/state.js';
import type { Fault } from './matrix.js';
import { sleep } from './session.js';

function components(env: PlatformEnv) {
  const state = readState(env.home);
  if (!state) throw new Error(`no platform state in ${env.home}: start the platform with roro server up.`);
  return state.components;
}

const COMPONENT: Record<Exclude<Fault, 'dockerd'>, string> = {
  worker: 'worker',
  api: 'api',
  temporal: 'temporal',
  postgres: 'postgres',
  gateway: 'gateway',
};

/** The dockerd serving the platform's socket: the one whose command line names it, else the only one. */
export function dockerdPid(socket: string): number {
  const engines: { pid: number; cmd: string[] }[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0');
      if (/(^|\/)dockerd$/.test(cmd[0] ?? '')) engines.push({ pid: Number(d), cmd });
    } catch {
      /* gone meanwhile */
    }
  }
  const named = engines.filter((e) => e.cmd.some((a) => a.endsWith(socket)));
  const found = named.length === 1 ? named : engines.length === 1 ? engines : [];
  if (found.length !== 1)
    throw new Error(
      `cannot tell which dockerd serves ${socket} (${engines.length} running): run the dockerd cells where one engine runs.`,
    );
  return found[0]!.pid;
}

function componentPid(env: PlatformEnv, name: string): number {
  const c = components(env).find((x) => x.name === name);
  if (!c?.pid || c.status !== 'up')
    throw new Error(
      `${name} is not up under this platform's supervisor (status ${c?.status ?? 'unknown'}): is RORO_HOME right?`,
    );
  return c.pid;
}

/** The process a fault hits, found before the operation starts so that injecting is one syscall. */
export function faultTarget(env: PlatformEnv, fault: Fault): number {
  return fault === 'dockerd' ? dockerdPid(env.dockerSocket) : componentPid(env, COMPONENT[fault]);
}

/** kill -9, except the gateway's restart: SIGTERM, which nginx takes as a fast shutdown. */
export function inject(fault: Fault, pid: number): void {
  process.kill(pid, fault === 'gateway' ? 'SIGTERM' : 'SIGKILL');
}

/** Waits until the hit component runs again under a new pid and answers; returns when it did. */
export async function waitBack(
  env: PlatformEnv,
  fault: Fault,
  oldPid: number,
  timeoutMs = 180_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const docker = new Docker({ socketPath: env.dockerSocket });
  while (Date.now() < deadline) {
    await sleep(200);
    try {
      if (fault === 'dockerd') {
        await docker.ping();
        if (dockerdPid(env.dockerSocket) !== oldPid) return;
      } else {
        const pid = componentPid(env, COMPONENT[fault]);
        if (pid !== oldPid) return;
      }
    } catch {
      /* not back yet */
    }
  }
  throw new Error(`${fault} did not come back within ${timeoutMs / 1000} s: see roro server logs ${fault}.`);
}

/** Every supervised component up (between cells, so one cell's outage does not leak into the next). */
export async function waitAllUp(env: PlatformEnv, timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let down: string[] = [];
  while (Date.now() < deadline) {
    try {
      down = components(env)
        .filter((c) => c.status !== 'up' && c.status !== 'external')
        .map((c) => `${c.name} ${c.status}`);
      if (!down.length) return;
    } catch {
      /* state file being rewritten */
    }
    await sleep(250);
  }
  throw new Error(`the platform is not all up after ${timeoutMs / 1000} s: ${down.join(', ')}.`);
}
