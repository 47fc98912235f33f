/**
 * The function server against firefly 0.1.15 inside containers: one image (the python3 runtime plus
 * firefly-python), the same function, the same CPU and memory limits for every server, started with
 * LocalDockerDriver as deploys start services. Load comes from the host (loadgen.py) on the
 * 127.0.0.1 published port, at concurrency 1 and 8; summarize.py prints the table and the ratios.
 *
 *   node dist/bench/function-server/container.js
 *   env: BENCH_SIZE (S2: 1 CPU, 2 GiB), DURATION seconds per run (5, at most 60),
 *        MAX_REQUESTS per run (50000)
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { REPO_ROOT } from '../../core/config.js';
import { localHostCapacity, resolveSize, type SizeLimits } from '../../core/sizes.js';
import { ensureRuntimeImage } from '../../activities/images.js';
import { runImageBuild } from '../../containers/build.js';
import { packContext } from '../../containers/context.js';
import { LocalDockerDriver } from '../../containers/local-driver.js';

const run = promisify(execFile);
const docker = new Docker({ socketPath: process.env.DOCKER_SOCKET ?? '/var/run/docker.sock' });
const driver = new LocalDockerDriver(docker);
const HERE = path.join(REPO_ROOT, 'bench', 'function-server');
const project = `bench-fs-${Math.random().toString(36).slice(2, 8)}`;
const DURATION = Math.min(Math.max(Number(process.env.DURATION ?? 5), 1), 60);
const MAX_REQUESTS = Math.min(Math.max(Number(process.env.MAX_REQUESTS ?? 50_000), 100), 500_000);
const FIREFLY = 'firefly-python==0.1.15';

interface Server {
  label: string;
  cmd: string[];
  env?: Record<string, string>;
}

/** The runtime image plus firefly; tagged by the runtime's id so a rerun reuses it. */
async function benchImage(): Promise<string> {
  const runtime = await ensureRuntimeImage(docker, 'python3');
  const tag = `roro/bench-function-server:${runtime.imageId.replace(/^sha256:/, '').slice(0, 12)}`;
  const exists = await docker
    .getImage(tag)
    .inspect()
    .then(() => true)
    .catch(() => false);
  if (exists) return tag;
  const dockerfile = [
    `FROM ${runtime.image}`,
    'USER roro',
    `RUN pip install --no-cache-dir ${FIREFLY}`,
    'COPY --chown=roro:roro bench_funcs.py /app/bench_funcs.py',
    'WORKDIR /app',
    '',
  ].join('\n');
  const bench = await fs.readFile(path.join(HERE, 'bench_funcs.py'));
  console.error(`-----> building ${tag} (${FIREFLY} on ${runtime.image})`);
  await runImageBuild(docker, {
    context: packContext({ files: { Dockerfile: dockerfile, 'bench_funcs.py': bench }, dirs: [] }),
    tag,
    labels: { 'roro.managed': 'true', 'roro.bench': 'function-server' },
    timeoutMs: 15 * 60_000,
    what: `benchmark image ${tag}`,
  });
  return tag;
}

/** Status of POST /square on a fresh connection; 0 when the connection fails or times out. */
function probe(port: number): Promise<number> {
  return new Promise((resolve) => {
    const req = http.request(
      { host: '127.0.0.1', port, method: 'POST', path: '/square', agent: false, timeout: 2000 },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
    req.end('{"n": 1}');
  });
}

async function waitReady(port: number): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if ((await probe(port)) === 200) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`The server on 127.0.0.1:${port} did not answer POST /square within 30 s: check its log.`);
}

async function loadgen(port: number, concurrency: number): Promise<Record<string, unknown>> {
  const { stdout } = await run('python3', [
    path.join(HERE, 'loadgen.py'),
    '--url',
    `http://127.0.0.1:${port}/square`,
    '--concurrency',
    String(concurrency),
    '--duration',
    String(DURATION),
    '--max-requests',
    String(MAX_REQUESTS),
  ]);
  return JSON.parse(stdout) as Record<string, unknown>;
}

async function benchServer(image: string, limits: SizeLimits, server: Server): Promise<string[]> {
  const { id, hostPort } = await driver.run({
    image,
    name: `${project}-${server.label}`,
    cmd: server.cmd,
    env: server.env,
    labels: { 'roro.managed': 'true', 'roro.project': project, 'roro.bench': 'function-server' },
    workdir: '/app',
    port: 8080,
    limits,
  });
  const rows: string[] = [];
  try {
    await waitReady(hostPort!);
    for (const concurrency of [1, 8]) {
      const result = await loadgen(hostPort!, concurrency);
      console.error(`       ${server.label} c=${concurrency} ${JSON.stringify(result)}`);
      rows.push(JSON.stringify({ ...result, server: server.label, concurrency }));
    }
  } finally {
    await driver.stop(id, 5);
    await driver.remove(id);
  }
  return rows;
}

async function main(): Promise<void> {
  const size = resolveSize(process.env.BENCH_SIZE ?? 'S2', localHostCapacity());
  const image = await benchImage();
  const workers = String(Math.max(1, Math.ceil(size.cpus)));
  const servers: Server[] = [
    { label: 'roro', cmd: ['roro-serve', '--function', 'bench_funcs.square', '--port', '8080'] },
    { label: 'firefly', cmd: ['firefly', '-b', '0.0.0.0:8080', 'bench_funcs.square'] },
    {
      // How rorodata deployed firefly: gunicorn sync workers, one per CPU.
      label: 'firefly-gunicorn',
      cmd: ['gunicorn', '-w', workers, '-b', '0.0.0.0:8080', 'firefly.main:app'],
      env: { FIREFLY_FUNCTIONS: 'bench_funcs.square' },
    },
  ];
  console.error(
    `-----> ${image}, size ${size.name}: ${size.cpus} CPU, ${size.memoryBytes / 1024 ** 3} GiB, ${DURATION} s per run`,
  );
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'roro-bench-fs-'));
  try {
    const rows: string[] = [];
    for (const server of servers) rows.push(...(await benchServer(image, size, server)));
    const results = path.join(work, 'results.jsonl');
    await fs.writeFile(results, rows.join('\n') + '\n');
    const { stdout } = await run('python3', [path.join(HERE, 'summarize.py'), results]);
    process.stdout.write(stdout);
  } finally {
    for (const c of await driver.list({ 'roro.project': project })) await driver.remove(c.id);
    await fs.rm(work, { recursive: true, force: true });
  }
}

await main();
