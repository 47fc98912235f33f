import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { homePaths, REPO_ROOT } from '../../core/config.js';
import { packProject } from '../../core/archive/index.js';
import { api, apiUrl, testEnv } from './platform.js';

export const fixtureProject = (name: string) => path.join(REPO_ROOT, 'test', 'fixtures', 'projects', name);

/** Copies a fixture project into a temp dir with its project name replaced, so tests do not collide. */
/** Project copies this test process made: removed when it exits, pass or fail. */
const copies = new Set<string>();
process.once('exit', () => {
  for (const dir of copies) fs.rmSync(dir, { recursive: true, force: true });
});

export function projectCopy(fixture: string, project: string, edit?: (dir: string) => void): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `roro-${project}-`));
  copies.add(dir);
  fs.cpSync(fixtureProject(fixture), dir, { recursive: true });
  const yml = path.join(dir, 'roro.yml');
  fs.writeFileSync(yml, fs.readFileSync(yml, 'utf8').replace(/^project: .*$/m, `project: ${project}`));
  edit?.(dir);
  return dir;
}

export async function uploadArchive(
  token: string,
  project: string,
  file: string,
  sha: string,
  baseUrl = apiUrl(),
) {
  const res = await fetch(`${baseUrl}/v1/projects/${project}/deploys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/gzip', 'x-roro-sha256': sha },
    body: fs.readFileSync(file),
  });
  return { status: res.status, body: (await res.json()) as any };
}

export async function startDeploy(token: string, project: string, dir: string, baseUrl = apiUrl()) {
  const packed = await packProject(dir);
  try {
    return await uploadArchive(token, project, packed.file, packed.sha256, baseUrl);
  } finally {
    fs.rmSync(packed.file, { force: true });
  }
}

export interface DeployEvent {
  seq: number;
  kind: string;
  message: string;
  data?: any;
}

/** Follows the deploy's NDJSON events until it ends; returns them all. */
export async function followDeploy(
  token: string,
  project: string,
  id: string,
  onEvent?: (e: DeployEvent) => void,
  baseUrl = apiUrl(),
): Promise<DeployEvent[]> {
  const events: DeployEvent[] = [];
  for (let round = 0; round < 20; round++) {
    const after = events.at(-1)?.seq ?? 0;
    const res = await fetch(`${baseUrl}/v1/projects/${project}/deploys/${id}/events?after=${after}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const text = await res.text();
    for (const line of text.split('\n').filter(Boolean)) {
      const e = JSON.parse(line) as DeployEvent;
      events.push(e);
      onEvent?.(e);
    }
    if (events.some((e) => e.kind === 'done' || e.kind === 'failed')) return events;
    const st = await api('GET', `/v1/projects/${project}/deploys/${id}`, { token, baseUrl });
    if (st.body.deploy?.status !== 'running' && text === '') return events;
  }
  return events;
}

export async function deployAndWait(token: string, project: string, dir: string, baseUrl = apiUrl()) {
  const started = await startDeploy(token, project, dir, baseUrl);
  if (started.status !== 202)
    throw new Error(`deploy refused: ${started.status} ${JSON.stringify(started.body)}`);
  const events = await followDeploy(token, project, started.body.deploy.id, undefined, baseUrl);
  return { id: started.body.deploy.id as string, events, final: events.at(-1)! };
}

export function caCert(): Buffer {
  return fs.readFileSync(path.join(homePaths(testEnv().home).tls, 'ca.crt'));
}

const agent = (maxSockets = 4) => new https.Agent({ keepAlive: true, maxSockets, ca: caCert() });

interface GatewayRequestOptions {
  method?: string;
  body?: unknown;
  agent?: https.Agent;
  host?: string;
  /** Sent as they are, after the ones the request makes itself. */
  headers?: Record<string, string>;
  onRetry?: () => void;
}

/** One HTTPS request through the gateway on loopback, by path prefix (what Python and Node clients use). */
export async function gatewayRequest(
  pathname: string,
  opts: GatewayRequestOptions = {},
): Promise<{ status: number; body: any; headers: Record<string, unknown> }> {
  try {
    return await gatewayRequestOnce(pathname, opts);
  } catch (err) {
    // A keep-alive connection that the gateway closed on a reload just as this request went out
    // never reached a server: like browsers (and Node's docs on req.reusedSocket), send it again once.
    if (!(err as { reusedSocket?: boolean }).reusedSocket) throw err;
    opts.onRetry?.();
    return gatewayRequestOnce(pathname, opts);
  }
}

function gatewayRequestOnce(
  pathname: string,
  opts: GatewayRequestOptions,
): Promise<{ status: number; body: any; headers: Record<string, unknown> }> {
  const env = testEnv();
  const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port: env.ports.gatewayHttps,
        servername: opts.host ?? env.domain,
        path: pathname,
        method: opts.method ?? (payload ? 'POST' : 'GET'),
        headers: {
          host: opts.host ?? env.domain,
          ...(payload ? { 'content-type': 'application/json' } : {}),
          ...opts.headers,
        },
        agent: opts.agent ?? agent(),
        ca: caCert(),
        timeout: 10_000,
      },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => {
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            /* keep text */
          }
          resolve({ status: res.statusCode ?? 0, body, headers: res.headers });
        });
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => {
      const code = err.code ?? '';
      reject(
        Object.assign(err, { reusedSocket: req.reusedSocket && ['ECONNRESET', 'EPIPE'].includes(code) }),
      );
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end(payload);
  });
}

/**
 * Sends requests back to back on `connections` keep-alive connections until stopped (bounded by
 * maxRequests); counts every failure.
 */
export function continuousLoad(pathname: string, body: unknown, maxRequests = 20_000, connections = 2) {
  const a = agent(Math.max(4, connections));
  let stop = false;
  const stats = { ok: 0, failed: 0, retried: 0, errors: [] as string[], versions: new Set<string>() };
  const loop = async () => {
    while (!stop && stats.ok + stats.failed < maxRequests) {
      try {
        const res = await gatewayRequest(pathname, { body, agent: a, onRetry: () => (stats.retried += 1) });
        if (res.status === 200) {
          stats.ok += 1;
          if (res.body?.version) stats.versions.add(String(res.body.version));
        } else {
          stats.failed += 1;
          stats.errors.push(`${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
        }
      } catch (err) {
        stats.failed += 1;
        stats.errors.push((err as Error).message);
      }
    }
  };
  const running = Promise.all(Array.from({ length: connections }, loop));
  return {
    stats,
    async stop() {
      stop = true;
      await running;
      a.destroy();
      return stats;
    },
  };
}

/** The hello fixture with a daily task: a service and a schedule, what must outlive a restart or a restore. */
export function helloWithNightlyTask(project: string): string {
  return projectCopy('hello', project, (d) =>
    fs.appendFileSync(
      path.join(d, 'roro.yml'),
      'tasks:\n  - name: nightly\n    command: python -c "print(1)"\n    when: every day at 03:00\n',
    ),
  );
}
