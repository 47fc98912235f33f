import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { homePaths, logPath, type PlatformEnv, REPO_ROOT } from '../core/config.js';
import { RoroError } from '../core/errors.js';
import type { SupervisorState } from './component.js';
import { lastLines } from './log-reader.js';
import { pidAlive, readPid } from './proc.js';
import { waitFor } from '../core/wait.js';
import { prettyLine } from './log-pretty.js';
import { readState, statePath, supervisorPidPath } from './state.js';

export function supervisorRunning(env: PlatformEnv): number | undefined {
  const pid = readPid(supervisorPidPath(env.home));
  return pid !== undefined && pidAlive(pid) ? pid : undefined;
}

function prepareHome(env: PlatformEnv): void {
  const p = homePaths(env.home);
  fs.mkdirSync(env.home, { recursive: true });
  // 0711: the postgres user must traverse RORO_HOME to reach its data directory, nothing more.
  fs.chmodSync(env.home, 0o711);
  for (const dir of [p.logs, p.run, p.gateway, p.builds]) fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.mkdirSync(p.secrets, { recursive: true, mode: 0o700 });
  fs.mkdirSync(p.volumes, { recursive: true, mode: 0o711 });
  if (!fs.existsSync(path.join(REPO_ROOT, 'dist', 'platform', 'supervisor-main.js'))) {
    throw new RoroError('The platform is not built.', {
      code: 'not_built',
      hint: 'Run scripts/setup.sh (or npm run build).',
    });
  }
}

/** Starts the supervisor detached and waits until every component is up or one failed. */
export async function serverUp(
  env: PlatformEnv,
  progress: (line: string) => void,
  timeoutMs = 300_000,
): Promise<SupervisorState> {
  // The supervisor's pid: the one already running, or the one started here (known before it has
  // written its pid file, which a loaded machine may take seconds to get to).
  let running = supervisorRunning(env);
  if (running) {
    const state = readState(env.home);
    if (state?.status === 'up') return { ...state, admin: undefined };
  } else {
    prepareHome(env);
    fs.rmSync(statePath(env.home), { force: true });
    // The supervisor writes its log itself, rotating it; this descriptor only catches what it prints
    // before it takes over its output, and Node's own last words should it die of a fatal error.
    const out = fs.openSync(logPath(env.home, 'supervisor'), 'a');
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'dist', 'platform', 'supervisor-main.js')], {
      detached: true,
      stdio: ['ignore', out, out],
      env: process.env,
      cwd: '/',
    });
    child.unref();
    fs.closeSync(out);
    running = child.pid;
  }
  const seen = new Map<string, string>();
  return waitFor(
    async () => {
      // Whether the supervisor is gone is read before its state: one that wrote its failure and
      // exited between the two reads is reported by that failure, not as a silent exit.
      const gone = running === undefined || !pidAlive(running);
      const state = readState(env.home);
      for (const c of state?.components ?? []) {
        if (seen.get(c.name) !== c.status) {
          seen.set(c.name, c.status);
          progress(`${c.name}: ${c.status}`);
        }
      }
      if (state?.status === 'up') return state;
      if (state?.status === 'failed' && state.failure) {
        const f = state.failure;
        throw new RoroError(`${f.component} failed to start: ${f.message.replace(/\.$/, '')}.`, {
          code: 'component_failed',
          hint: `See its log ${f.log}:\n${indentedTail(f.log)}`,
        });
      }
      if (gone) {
        const log = logPath(env.home, 'supervisor');
        throw new RoroError('The platform supervisor exited during start.', {
          code: 'component_failed',
          hint: `See ${log}:\n${indentedTail(log)}`,
        });
      }
      return undefined;
    },
    {
      timeoutMs,
      intervalMs: 300,
      timeoutError: () =>
        new RoroError('The platform did not come up in time.', {
          code: 'timeout',
          hint: `See ${logPath(env.home, 'supervisor')} and the component logs in ${homePaths(env.home).logs}.`,
        }),
    },
  );
}

function indentedTail(log: string): string {
  return lastLines(log, 15)
    .map((l) => `    ${prettyLine(l)}`)
    .join('\n');
}

/** Stops the supervisor, which stops only the components it started. */
export async function serverDown(env: PlatformEnv, timeoutMs = 120_000): Promise<boolean> {
  const pid = supervisorRunning(env);
  if (!pid) return false;
  process.kill(pid, 'SIGTERM');
  await waitFor(async () => !pidAlive(pid), {
    timeoutMs,
    intervalMs: 200,
    timeoutError: () =>
      new RoroError(`The supervisor (pid ${pid}) did not stop in ${timeoutMs / 1000} s.`, {
        hint: `See ${logPath(env.home, 'supervisor')}.`,
      }),
  });
  return true;
}
