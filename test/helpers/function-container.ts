import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import { REPO_ROOT } from '../../core/config.js';
import type { ContainerDriver } from '../../containers/driver.js';

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface CallOptions {
  body?: string | Buffer | object;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

/**
 * One HTTP request to 127.0.0.1:port on a fresh connection (no agent, so no reuse of a socket the
 * server closed). Resolves on the response even if the server stops reading the body early (413);
 * status 0 means the connection failed.
 */
export function call(port: number, method: string, urlPath: string, opts: CallOptions = {}): Promise<Reply> {
  const headers: Record<string, string> = { ...opts.headers };
  let body: Buffer | undefined;
  if (opts.body !== undefined) {
    if (Buffer.isBuffer(opts.body)) body = opts.body;
    else if (typeof opts.body === 'string') body = Buffer.from(opts.body);
    else {
      body = Buffer.from(JSON.stringify(opts.body));
      headers['Content-Type'] ??= 'application/json';
    }
    headers['Content-Length'] = String(body.length);
  }
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: Reply) => {
      if (!settled) resolve(r);
      settled = true;
    };
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path: urlPath,
        headers,
        agent: false,
        timeout: opts.timeoutMs ?? 30_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          done({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on('error', () =>
          done({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => done({ status: 0, headers: {}, body: Buffer.alloc(0) }));
    req.end(body);
  });
}

/** The JSON body of a reply, after checking that the server said it is JSON. */
export function json(reply: Reply): unknown {
  if (reply.headers['content-type'] !== 'application/json') {
    throw new Error(
      `expected application/json, got ${reply.headers['content-type']}: ${reply.body.toString()}`,
    );
  }
  return JSON.parse(reply.body.toString('utf8'));
}

export type Part = { name: string; value: string } | { name: string; filename: string; data: Buffer };

/** A multipart/form-data body built by hand, so the bytes on the wire are exactly the test's. */
export function multipart(parts: Part[]): { body: Buffer; contentType: string } {
  const boundary = `roro-test-${Math.random().toString(36).slice(2)}`;
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const disposition =
      'filename' in p
        ? `form-data; name="${p.name}"; filename="${p.filename}"\r\nContent-Type: application/octet-stream`
        : `form-data; name="${p.name}"`;
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\n\r\n`));
    chunks.push('filename' in p ? p.data : Buffer.from(p.value));
    chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** Polls check every delayMs, at most tries times; throws with `what` when it never held. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  tries = 300,
  delayMs = 100,
): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, delayMs));
  }
  throw new Error(`Timed out waiting for ${what}.`);
}

/** Runs a command in a running container as the runtime user and returns its exit code. */
export async function execIn(docker: Docker, id: string, cmd: string[]): Promise<number> {
  const exec = await docker
    .getContainer(id)
    .exec({ Cmd: cmd, User: '1000:1000', AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  await new Promise<void>((resolve) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', () => resolve());
    stream.resume();
  });
  const info = await exec.inspect();
  return info.ExitCode ?? -1;
}

/** stdout and stderr of a container so far, each as one string. */
export async function containerLogs(
  driver: ContainerDriver,
  id: string,
): Promise<{ stdout: string; stderr: string }> {
  const out = { stdout: [] as string[], stderr: [] as string[] };
  for await (const l of driver.logs(id, { follow: false })) out[l.stream].push(l.line);
  return { stdout: out.stdout.join('\n'), stderr: out.stderr.join('\n') };
}

/**
 * A temporary project directory holding the function server's own test modules
 * (runtimes/python/tests/fixtures) and test/fixtures/projects/protocol.
 */
export async function protocolProject(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'roro-protocol-'));
  await fs.cp(path.join(REPO_ROOT, 'runtimes', 'python', 'tests', 'fixtures'), dir, {
    recursive: true,
    filter: (src) => !src.includes('__pycache__'),
  });
  await fs.cp(path.join(REPO_ROOT, 'test', 'fixtures', 'projects', 'protocol'), dir, { recursive: true });
  return dir;
}
