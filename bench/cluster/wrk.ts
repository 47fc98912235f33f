/** Requests per second through a platform's gateway, measured with wrk (one thread, keep-alive connections). */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export interface Throughput {
  rps: number;
  /** Median and 99th percentile latency, ms. */
  p50Ms: number;
  p99Ms: number;
  /** Answers other than 2xx/3xx, and socket errors (connect, read, write, timeout). */
  errors: number;
}

const toMs = (value: string | undefined): number => {
  const m = /^([\d.]+)(us|ms|s)$/.exec(value ?? '');
  return m ? Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1) : NaN;
};

/** Reads wrk's --latency report. */
export function parseWrk(out: string): Throughput {
  const percentile = (p: number) => toMs(new RegExp(`^\\s+${p}%\\s+(\\S+)`, 'm').exec(out)?.[1]);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const socketErrors = socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0;
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  if (!Number.isFinite(rps)) throw new Error(`wrk printed no Requests/sec line:\n${out}`);
  return { rps, p50Ms: percentile(50), p99Ms: percentile(99), errors: non2xx + socketErrors };
}

/**
 * POSTs `body` as JSON to https://127.0.0.1:<port><pathname> for `seconds` on `connections`
 * connections, with the gateway's domain as Host.
 */
export async function wrkPost(
  target: { port: number; host: string },
  pathname: string,
  body: unknown,
  load: { seconds: number; connections: number },
): Promise<Throughput> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roro-bench-wrk-'));
  const script = path.join(dir, 'post.lua');
  fs.writeFileSync(
    script,
    [
      'wrk.method = "POST"',
      `wrk.body = ${JSON.stringify(JSON.stringify(body))}`,
      'wrk.headers["Content-Type"] = "application/json"',
      `wrk.headers["Host"] = ${JSON.stringify(target.host)}`,
      '',
    ].join('\n'),
  );
  try {
    const args = ['-t1', `-c${load.connections}`, `-d${load.seconds}s`, '--latency', '-s', script];
    const url = `https://127.0.0.1:${target.port}${pathname}`;
    const { stdout } = await exec('wrk', [...args, url], { timeout: (load.seconds + 30) * 1000 });
    return parseWrk(stdout);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
