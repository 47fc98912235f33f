import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import Docker from 'dockerode';
import { resolveSize } from '../../core/sizes.js';
import { ensureRuntimeImage } from '../../activities/images.js';
import type { ContainerSpec, LogLine } from '../../containers/driver.js';
import { LocalDockerDriver } from '../../containers/local-driver.js';

const docker = new Docker({ socketPath: process.env.DOCKER_SOCKET ?? '/var/run/docker.sock' });
const driver = new LocalDockerDriver(docker);
const run = Math.random().toString(36).slice(2, 8);
const labels = { 'roro.project': 'itest-containers', 'roro.test': run };
const host = { cpus: 2, memoryBytes: 24 * 1024 ** 3 };
let image = '';
let n = 0;

function spec(cmd: string[], extra: Partial<ContainerSpec> = {}): ContainerSpec {
  return { image, name: `roro-itest-${run}-${n++}`, cmd, labels, limits: resolveSize('S1', host), ...extra };
}

async function collect(lines: AsyncIterable<LogLine>): Promise<LogLine[]> {
  const out: LogLine[] = [];
  for await (const l of lines) out.push(l);
  return out;
}

/** Status of GET / on 127.0.0.1:port, 0 when the connection fails (node:http, with its own timeout). */
function httpStatus(port: number): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', timeout: 2000, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

before(async () => {
  image = (await ensureRuntimeImage(docker, 'python3')).image;
});

after(async () => {
  for (const c of await driver.list({ 'roro.test': run })) await driver.remove(c.id);
});

test('runs a sized, locked-down container as roro and reads its logs', async () => {
  const py =
    "import os, sys; print('hello', os.getuid()); print('oops', file=sys.stderr); print('cwd', os.getcwd())";
  const { id, hostPort } = await driver.run(
    spec(['python', '-c', py], { env: { GREETING: 'hi' }, workdir: '/tmp' }),
  );
  assert.equal(hostPort, undefined);
  assert.deepEqual(await driver.wait(id), { exitCode: 0 });
  const lines = await collect(driver.logs(id, { follow: false }));
  // stdout and stderr are separate pipes: order between them is not kept, order within each is.
  assert.deepEqual(
    lines.filter((l) => l.stream === 'stdout').map((l) => l.line),
    ['hello 1000', 'cwd /tmp'],
  );
  assert.deepEqual(
    lines.filter((l) => l.stream === 'stderr').map((l) => l.line),
    ['oops'],
  );
  const status = await driver.inspect(id);
  assert.equal(status.state, 'exited');
  assert.equal(status.exitCode, 0);
  assert.equal(status.oomKilled, false);
  assert.ok(status.startedAt && status.finishedAt);
  const hc = (await docker.getContainer(id).inspect()).HostConfig;
  assert.equal(hc.NanoCpus, 0.5e9);
  assert.equal(hc.Memory, 1024 ** 3);
  assert.equal(hc.Init, true);
  assert.equal(hc.Privileged, false);
  assert.deepEqual(hc.CapDrop, ['ALL']);
  assert.deepEqual(hc.SecurityOpt, ['no-new-privileges']);
});

test('pip and python work without capabilities', async () => {
  const { id } = await driver.run(
    spec([
      'sh',
      '-c',
      'pip --version >/dev/null && python -c "import sklearn" && touch /opt/roro/venv/ok && echo fine',
    ]),
  );
  assert.equal((await driver.wait(id)).exitCode, 0);
  const lines = await collect(driver.logs(id, { follow: false, timestamps: true }));
  assert.equal(lines[0]?.line, 'fine');
  assert.match(lines[0]?.ts ?? '', /^\d{4}-\d\d-\d\dT/);
});

test('follows logs until the container exits', async () => {
  const { id } = await driver.run(spec(['sh', '-c', 'for i in 1 2 3; do echo line$i; sleep 0.2; done']));
  const lines = await collect(driver.logs(id, { follow: true }));
  assert.deepEqual(
    lines.map((l) => l.line),
    ['line1', 'line2', 'line3'],
  );
});

test('a container past its memory limit is reported as OOM-killed', async () => {
  const hog = "b = b'x' * (512 * 1024 * 1024); print(len(b))";
  const { id } = await driver.run(
    spec(['python', '-c', hog], { limits: { cpus: 0.5, memoryBytes: 128 * 1024 ** 2 } }),
  );
  const { exitCode } = await driver.wait(id);
  assert.equal(exitCode, 137);
  const status = await driver.inspect(id);
  assert.equal(status.oomKilled, true);
});

test('a published port listens on 127.0.0.1 only', async () => {
  const { id, hostPort } = await driver.run(
    spec(['python', '-m', 'http.server', '8080'], { port: 8080, workdir: '/app' }),
  );
  assert.ok(hostPort && hostPort > 0);
  const ports = (await docker.getContainer(id).inspect()).NetworkSettings.Ports['8080/tcp'];
  assert.deepEqual(
    ports?.map((p) => p.HostIp),
    ['127.0.0.1'],
  );
  let status = 0;
  for (let i = 0; i < 50 && status !== 200; i++) {
    status = await httpStatus(hostPort);
    if (status !== 200) await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(status, 200);
  assert.equal(
    (await driver.list({ 'roro.test': run })).some((c) => c.id === id),
    true,
  );
  await driver.stop(id, 5);
  const stopped = await driver.inspect(id);
  assert.equal(stopped.state, 'exited');
  await driver.stop(id, 5);
  await driver.remove(id);
  await driver.remove(id);
  await assert.rejects(driver.inspect(id), /does not exist/);
});

test('refuses to mount the Docker socket', async () => {
  await assert.rejects(
    driver.run(
      spec(['true'], { mounts: [{ source: '/var/run/docker.sock', target: '/var/run/docker.sock' }] }),
    ),
    /never given to user code/,
  );
});
