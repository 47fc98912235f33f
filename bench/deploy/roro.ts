/** The roro side of the deploy benchmark: the real CLI (`bin/roro deploy`) against a running platform. */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../core/config.js';
import { pollUntil } from './http.js';

const RORO = path.join(REPO_ROOT, 'bin', 'roro');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI with the caller's environment (RORO_URL, RORO_HOME, credentials); bounded in time. */
export function roro(args: string[], cwd = REPO_ROOT, timeoutMs = 900_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(RORO, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

/** True when this checkout's CLI has a `deploy` command (it is listed in `roro --help`). */
export async function hasDeploy(): Promise<boolean> {
  const help = await roro(['--help']);
  return /^\s+deploy\b/m.test(help.stdout + help.stderr);
}

/** Deletes the project if it exists and creates it again, so the first deploy is a cold one. */
export async function freshProject(name: string): Promise<void> {
  await roro(['projects:delete', name, '--yes']);
  const created = await roro(['create', name]);
  if (created.code !== 0) throw new Error(`roro create ${name} failed: ${created.stderr.trim()}`);
}

export interface DeployRound {
  /** Wall time of `roro deploy`. */
  commandMs: number;
  /** From the start of `roro deploy` to the first 200 of the new version through the gateway. */
  readyMs: number;
  version: string;
  url: string;
}

/**
 * Deploys codeDir and waits until the gateway serves the new release: `GET /` reports its version
 * (roro-serve --version <release>) and POST /<fn> answers 200.
 */
export async function deployRound(
  codeDir: string,
  ca: Buffer,
  call: { fn: string; args: Record<string, unknown> },
  log: string,
): Promise<DeployRound> {
  const t0 = performance.now();
  const res = await roro(['deploy'], codeDir);
  const commandMs = performance.now() - t0;
  fs.appendFileSync(log, `$ roro deploy (exit ${res.code})\n${res.stdout}${res.stderr}\n`);
  if (res.code !== 0) throw new Error(`roro deploy failed (exit ${res.code}); its output is in ${log}`);
  const url = /^\s*default:\s*(\S+)/m.exec(res.stdout)?.[1];
  const version = /Deployed version (\d+)/.exec(res.stdout)?.[1];
  if (!url || !version)
    throw new Error(`roro deploy printed no "default: <url>" or "Deployed version N" line; see ${log}`);
  const base = url.endsWith('/') ? url : `${url}/`;
  await pollUntil(base, {
    ca,
    accept: (r) => {
      if (r.status !== 200) return false;
      try {
        return String((JSON.parse(r.body) as { version?: unknown }).version) === version;
      } catch {
        return false;
      }
    },
  });
  const name = call.fn.split('.').pop()!;
  const { at } = await pollUntil(`${base}${name}`, {
    ca,
    method: 'POST',
    json: call.args,
    accept: (r) => r.status === 200,
  });
  return { commandMs, readyMs: at - t0, version, url: base };
}
