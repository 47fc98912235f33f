/**
 * What the gateway costs: wrk against a trivial JSON upstream directly, through the roro gateway
 * (Lua balancer over a shared-dict route table; HTTPS and plain HTTP, 1 worker and `auto`), and
 * through a plain nginx reverse proxy as baseline. The gateway also takes five route switches under
 * load, counting what clients see (the reload-based config it replaced failed 9–30 requests here).
 * Run: node dist/bench/gateway/run.js [seconds per run, default 3]
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Gateway } from '../../gateway/gateway.js';
import { ensureTls, type TlsFiles } from '../../gateway/tls.js';
import { outputPipe } from '../../platform/output-pipe.js';

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
  // stdout is the roro gateway's access log: a real pipe, drained, as under the platform's supervisor
  const out = outputPipe(os.tmpdir());
  const child = spawn(cmd, args, { stdio: ['ignore', out.fd, 'inherit'] });
  fs.closeSync(out.fd);
  out.stream.resume();
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

type Route = { project: string; service: string; upstreams: string[] };
const benchRoute = (port: number): Route[] => [
  { project: 'bench', service: 'default', upstreams: [`127.0.0.1:${port}`] },
];

async function gatewayRuns(dir: string, tls: TlsFiles, upstreams: number[], results: Map<string, Result>) {
  for (const workers of [1, 'auto'] as const) {
    const ports = { https: await freePort(), http: await freePort(), plain: await freePort() };
    const gw = new Gateway({
      runDir: path.join(dir, `run-${workers}`),
      domain: 'localhost',
      tls,
      workers,
      httpsPort: ports.https,
      httpPort: ports.http,
      plainHttpPort: ports.plain,
    });
    await gw.prepare(benchRoute(upstreams[0]!));
    const { cmd, args } = gw.command();
    const child = await startNginx(cmd, args, () => gw.ready());
    const w = `${workers} worker${workers === 1 ? '' : 's'}`;
    try {
      if (workers === 1) {
        const apply = async (routes: Route[]) => void (await gw.applyRoutes(routes));
        await switchesUnderLoad('roro gateway (Lua route table)', apply, ports.https, upstreams);
      }
      await measure(
        [
          {
            name: `roro gateway HTTPS (${w})`,
            url: `https://127.0.0.1:${ports.https}/`,
            host: 'bench.localhost',
          },
          {
            name: `roro gateway plain HTTP (${w})`,
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

/** wrk at c=16 while the route switches between two instances five times; any error is a failed client request. */
async function switchesUnderLoad(
  name: string,
  apply: (routes: Route[]) => Promise<void>,
  httpsPort: number,
  upstreams: number[],
): Promise<void> {
  const load = wrkRaw(`https://127.0.0.1:${httpsPort}/`, 16, 3, 'bench.localhost');
  for (let i = 0; i < 5; i++) {
    await sleep(400);
    await apply(benchRoute(upstreams[(i + 1) % 2]!));
  }
  const out = await load;
  const errors = /(Socket errors:.*|Non-2xx or 3xx responses:.*)/g;
  const requests = /(\d+) requests in/.exec(out)?.[1];
  process.stdout.write(
    `${name}, 5 route switches under load (c=16, 3 s): ${requests} requests, errors: ${out.match(errors)?.join('; ') ?? 'none'}\n`,
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

function jsonServer(): Promise<{ server: http.Server; port: number }> {
  const body = JSON.stringify({ ok: true, value: 42 });
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  });
  server.keepAliveTimeout = 60_000;
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, port: (server.address() as net.AddressInfo).port }),
    ),
  );
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roro-gateway-bench-'));
  // two identical instances, so a route switch really moves traffic
  const instances = [await jsonServer(), await jsonServer()];
  const upstreams = instances.map((i) => i.port);
  const upPort = upstreams[0]!;
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
    const tls = await ensureTls(path.join(dir, 'tls'), 'localhost');
    await gatewayRuns(dir, tls, upstreams, results);
  } finally {
    for (const i of instances) i.server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  report(results);
}

await main();
