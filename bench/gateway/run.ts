/**
 * What the gateway costs: wrk against a trivial JSON upstream directly, through the roro gateway
 * (HTTPS and plain HTTP, 1 worker and `auto`), and through a plain nginx reverse proxy as baseline.
 * Run: node dist/bench/gateway/run.js [seconds per run, default 3]
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Gateway } from '../../api/gateway/gateway.js';
import { ensureTls } from '../../api/gateway/tls.js';

const execFileP = promisify(execFile);
const seconds = Math.min(Math.max(Number(process.argv[2] ?? 3), 1), 10);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Result {
  p50: number;
  p99: number;
  rps: number;
}

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

function micros(v: string): number {
  const m = /^([\d.]+)(us|ms|s)$/.exec(v);
  if (!m) return NaN;
  return Number(m[1]) * { us: 1, ms: 1000, s: 1e6 }[m[2] as 'us' | 'ms' | 's'];
}

async function wrkRaw(url: string, conns: number, secs: number, host?: string): Promise<string> {
  const hostHeader = host ? ['-H', `Host: ${host}`] : [];
  const args = ['-t1', `-c${conns}`, `-d${secs}s`, '--latency', ...hostHeader, url];
  return (await execFileP('wrk', args, { timeout: (secs + 20) * 1000 })).stdout;
}

async function wrk(url: string, conns: number, secs: number, host?: string): Promise<Result> {
  const stdout = await wrkRaw(url, conns, secs, host);
  if (/Non-2xx or 3xx responses|Socket errors/.test(stdout)) {
    throw new Error(`wrk saw errors for ${url}:\n${stdout}`);
  }
  const pct = (p: string) => micros(new RegExp(`^\\s+${p}%\\s+(\\S+)`, 'm').exec(stdout)?.[1] ?? '');
  return { p50: pct('50'), p99: pct('99'), rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1]) };
}

function baselineConfig(dir: string, port: number, upstream: number): string {
  return `daemon off; worker_processes 1; pid ${dir}/nginx.pid; error_log ${dir}/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/tmp; proxy_temp_path ${dir}/tmp; fastcgi_temp_path ${dir}/tmp;
  uwsgi_temp_path ${dir}/tmp; scgi_temp_path ${dir}/tmp;
  upstream app { server 127.0.0.1:${upstream}; keepalive 32; }
  server {
    listen 127.0.0.1:${port};
    location / { proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_set_header Host $host; }
  }
}
`;
}

async function startNginx(cmd: string, args: string[], probe: () => Promise<boolean>): Promise<ChildProcess> {
  const child = spawn(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  for (let i = 0; i < 100 && !(await probe()); i++) await sleep(100);
  return child;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

const portOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' }, () => (s.destroy(), resolve(true)));
    s.on('error', () => resolve(false));
  });

type Target = { name: string; url: string; host?: string };

async function measure(targets: Target[], results: Map<string, Result>): Promise<void> {
  for (const t of targets) {
    await wrk(t.url, 16, 1, t.host); // warm-up: TLS handshakes, upstream keep-alive pool
    for (const c of [1, 16]) {
      results.set(`${t.name}|${c}`, await wrk(t.url, c, seconds, t.host));
      process.stderr.write(`  measured ${t.name} c=${c}\n`);
    }
  }
}

async function gatewayRuns(dir: string, upstreamPort: number, results: Map<string, Result>): Promise<void> {
  const tls = await ensureTls(path.join(dir, 'tls'), 'localhost');
  for (const workers of [1, 'auto'] as const) {
    const ports = { https: await freePort(), http: await freePort(), plain: await freePort() };
    const gw = new Gateway({
      runDir: path.join(dir, `run-${workers}`),
      logDir: path.join(dir, 'logs'),
      domain: 'localhost',
      tls,
      workers,
      httpsPort: ports.https,
      httpPort: ports.http,
      plainHttpPort: ports.plain,
    });
    await gw.prepare([{ project: 'bench', service: 'default', upstreams: [`127.0.0.1:${upstreamPort}`] }]);
    const { cmd, args } = gw.command();
    const child = await startNginx(cmd, args, () => gw.ready());
    try {
      if (workers === 1) await reloadUnderLoad(gw, `https://127.0.0.1:${ports.https}/`, upstreamPort);
      await measure(
        [
          {
            name: `roro gateway HTTPS (${workers} worker${workers === 1 ? '' : 's'})`,
            url: `https://127.0.0.1:${ports.https}/`,
            host: 'bench.localhost',
          },
          {
            name: `roro gateway plain HTTP (${workers} worker${workers === 1 ? '' : 's'})`,
            url: `http://127.0.0.1:${ports.plain}/`,
            host: 'bench.localhost',
          },
        ],
        results,
      );
    } finally {
      await stop(child);
    }
  }
}

/** wrk at c=16 while the route table changes five times: a graceful reload shows no errors. */
async function reloadUnderLoad(gw: Gateway, url: string, upstreamPort: number): Promise<void> {
  const load = wrkRaw(url, 16, 3, 'bench.localhost');
  const route = (extra: string[]) => [
    { project: 'bench', service: 'default', upstreams: [`127.0.0.1:${upstreamPort}`] },
    ...extra.map((s) => ({ project: 'bench', service: s, upstreams: [`127.0.0.1:${upstreamPort}`] })),
  ];
  for (let i = 0; i < 5; i++) {
    await sleep(400);
    await gw.applyRoutes(route(i % 2 === 0 ? ['extra'] : []));
  }
  const out = await load;
  const errors = /(Socket errors:.*|Non-2xx or 3xx responses:.*)/g;
  const requests = /(\d+) requests in/.exec(out)?.[1];
  process.stdout.write(
    `reload under load (5 reloads, c=16, 3 s): ${requests} requests, errors: ${out.match(errors)?.join('; ') ?? 'none'}\n`,
  );
}

function report(results: Map<string, Result>): void {
  const names = [...new Set([...results.keys()].map((k) => k.split('|')[0] ?? ''))];
  const us = (v: number) => (v >= 1000 ? `${(v / 1000).toFixed(2)} ms` : `${Math.round(v)} µs`);
  const lines = [
    `wrk -t1, ${seconds} s per run, trivial JSON upstream (Node http) on 127.0.0.1, ${os.cpus().length} cores`,
    '| path | c=1 p50 | c=1 p99 | c=1 req/s | c=16 p50 | c=16 p99 | c=16 req/s | c=1 p50 / direct | c=16 req/s / direct |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  const d1 = results.get('direct|1');
  const d16 = results.get('direct|16');
  for (const n of names) {
    const [r1, r16] = [results.get(`${n}|1`), results.get(`${n}|16`)];
    if (!r1 || !r16 || !d1 || !d16) continue;
    lines.push(
      `| ${n} | ${us(r1.p50)} | ${us(r1.p99)} | ${Math.round(r1.rps)} | ${us(r16.p50)} | ${us(r16.p99)} | ${Math.round(r16.rps)} | ${(r1.p50 / d1.p50).toFixed(2)}x | ${(r16.rps / d16.rps).toFixed(2)}x |`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roro-gateway-bench-'));
  const body = JSON.stringify({ ok: true, value: 42 });
  const upstream = http.createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  });
  upstream.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  const upPort = (upstream.address() as net.AddressInfo).port;
  const results = new Map<string, Result>();
  try {
    await measure([{ name: 'direct', url: `http://127.0.0.1:${upPort}/` }], results);
    const basePort = await freePort();
    fs.mkdirSync(path.join(dir, 'baseline', 'tmp'), { recursive: true });
    const conf = path.join(dir, 'baseline', 'nginx.conf');
    fs.writeFileSync(conf, baselineConfig(path.join(dir, 'baseline'), basePort, upPort));
    const base = await startNginx('/usr/sbin/nginx', ['-c', conf, '-e', 'stderr'], () => portOpen(basePort));
    try {
      await measure(
        [{ name: 'plain nginx proxy (1 worker, keepalive)', url: `http://127.0.0.1:${basePort}/` }],
        results,
      );
    } finally {
      await stop(base);
    }
    await gatewayRuns(dir, upPort, results);
  } finally {
    upstream.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  report(results);
}

await main();
