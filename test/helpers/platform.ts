import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { homePaths, parsePlatformEnv, REPO_ROOT, type PlatformEnv } from '../../core/config.js';

/** The platform started by scripts/test.sh for this run (RORO_HOME, RORO_PORT_BASE, RORO_ADMIN_*). */
export function testEnv(): PlatformEnv {
  return parsePlatformEnv();
}

export const apiUrl = () => testEnv().apiUrl;

export const unique = (prefix: string) => `${prefix}-${crypto.randomBytes(4).toString('hex')}`;

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export async function api<T = any>(
  method: string,
  urlPath: string,
  opts: { token?: string; body?: unknown; headers?: Record<string, string>; baseUrl?: string } = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${opts.baseUrl ?? apiUrl()}${urlPath}`, {
    method,
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* keep text */
  }
  return { status: res.status, body: body as T, headers: res.headers };
}

export async function login(email: string, password: string, baseUrl?: string): Promise<string> {
  const res = await api('POST', '/v1/auth/login', {
    body: { email, password },
    ...(baseUrl ? { baseUrl } : {}),
  });
  if (res.status !== 200) throw new Error(`login ${email} failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.token as string;
}

/**
 * The first admin, as `roro server up` made it: RORO_ADMIN_* when set, else its generated password;
 * on the test platform unless `env` names another one.
 */
export function adminLogin(env: PlatformEnv = testEnv()): Promise<string> {
  const email = process.env.RORO_ADMIN_EMAIL || 'admin@roro.local';
  const password =
    process.env.RORO_ADMIN_PASSWORD ||
    fs.readFileSync(path.join(homePaths(env.home).secrets, 'admin-password'), 'utf8').trim();
  return login(email, password, env.apiUrl);
}

/** A fresh user with a token, made by the admin. */
export async function newUser(): Promise<{ email: string; password: string; token: string }> {
  const admin = await adminLogin();
  const email = `${unique('user')}@example.com`;
  const password = crypto.randomBytes(12).toString('base64url');
  const res = await api('POST', '/v1/users', { token: admin, body: { email, password } });
  if (res.status !== 201) throw new Error(`users:add failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { email, password, token: await login(email, password) };
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real `bin/roro` with its own config directory, so tests do not share logins. */
export function roro(
  args: string[],
  opts: {
    configDir?: string;
    input?: string;
    cwd?: string;
    env?: NodeJS.ProcessEnv;
    timeoutMs?: number;
  } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(REPO_ROOT, 'bin', 'roro'), args, {
      cwd: opts.cwd ?? REPO_ROOT,
      env: {
        ...process.env,
        NO_COLOR: '1',
        ...(opts.configDir ? { XDG_CONFIG_HOME: opts.configDir } : {}),
        ...opts.env,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}

export function tempConfigDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'roro-cli-'));
}

/** Runs `bin/roro` as a user, on one project, against the test platform. */
export const projectCli = (token: string, project: string) => (args: string[]) =>
  roro(args, { env: { RORO_TOKEN: token, RORO_PROJECT: project, RORO_URL: testEnv().apiUrl } });
