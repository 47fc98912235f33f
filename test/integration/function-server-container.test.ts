import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import Docker from 'dockerode';
import { buildProjectImage, ensureRuntimeImage } from '../../activities/images.js';
import { SERVICE_PORT } from '../../activities/plan.js';
import type { ContainerSpec } from '../../containers/driver.js';
import { LocalDockerDriver } from '../../containers/local-driver.js';
import { localHostCapacity, resolveSize } from '../../core/sizes.js';
import {
  call,
  containerLogs,
  execIn,
  json,
  multipart,
  protocolProject,
  waitFor,
  type CallOptions,
} from '../helpers/function-container.js';

// The function server checked over HTTP inside its real image, started the way deploys start it.
const docker = new Docker({ socketPath: process.env.DOCKER_SOCKET ?? '/var/run/docker.sock' });
const driver = new LocalDockerDriver(docker);
const project = `fsc-${Math.random().toString(36).slice(2, 8)}`;
const TOKEN = 'container-test-token';
const AUTH = { Authorization: `Token ${TOKEN}` };
const FUNCS = ['add', 'boom', 'download', 'upload', 'stamp', 'slow', 'np_array', 'np_scalar', 'pd_frame'];
let image = '';
let codeDir = '';
let port = 0;
let mainId = '';
let n = 0;

/** A function service container: roro-serve on 8080, a C1 size (one CPU), published on 127.0.0.1. */
function serviceSpec(
  functions: string[],
  extraArgs: string[] = [],
  env: Record<string, string> = {},
): ContainerSpec {
  const cmd = ['roro-serve', ...functions.flatMap((f) => ['--function', f]), '--port', String(SERVICE_PORT)];
  return {
    image,
    name: `roro-${project}-${n++}`,
    cmd: [...cmd, '--app-name', project, '--version', '3', ...extraArgs],
    env: { PORT: String(SERVICE_PORT), RORO_PROJECT: project, ...env },
    labels: { 'roro.managed': 'true', 'roro.project': project, 'roro.kind': 'service' },
    workdir: '/app',
    port: SERVICE_PORT,
    limits: resolveSize('C1', localHostCapacity()),
  };
}

async function waitHealthy(hostPort: number): Promise<void> {
  await waitFor('the function server to report healthy', async () =>
    (await call(hostPort, 'GET', '/_health', { timeoutMs: 2000 })).status === 200 ? true : undefined,
  );
}

const post = (fn: string, opts: CallOptions = {}) =>
  call(port, 'POST', `/${fn}`, { ...opts, headers: { ...AUTH, ...opts.headers } });

before(async () => {
  const runtime = await ensureRuntimeImage(docker, 'python3');
  codeDir = await protocolProject();
  image = (
    await buildProjectImage(docker, {
      project,
      buildId: 'b1',
      runtimeImage: runtime.image,
      codeDir,
      timeoutMs: 600_000,
    })
  ).image;
  const spec = serviceSpec(
    FUNCS.map((f) => `funcs.${f}`),
    ['--cors-allow-origins', '*', '--max-body-bytes', '65536'],
    { RORO_SERVICE_TOKEN: TOKEN },
  );
  const started = await driver.run(spec);
  mainId = started.id;
  port = started.hostPort!;
  await waitHealthy(port);
});

after(async () => {
  for (const c of await driver.list({ 'roro.project': project })) await driver.remove(c.id);
  const images = await docker.listImages({ filters: { label: [`roro.project=${project}`] } });
  for (const img of images)
    await docker
      .getImage(img.Id)
      .remove({ force: true })
      .catch(() => undefined);
  if (codeDir) await fs.rm(codeDir, { recursive: true, force: true });
});

test('GET / lists the functions with their parameters', async () => {
  const meta = json(await call(port, 'GET', '/', { headers: AUTH })) as {
    app: string;
    version: string;
    functions: Record<string, { path: string; doc: string; parameters: unknown[] }>;
  };
  assert.equal(meta.app, project);
  assert.equal(String(meta.version), '3');
  assert.deepEqual(Object.keys(meta.functions).sort(), [...FUNCS].sort());
  assert.deepEqual(meta.functions.add, {
    path: '/add',
    doc: 'Add two numbers.',
    parameters: [
      { name: 'a', kind: 'POSITIONAL_OR_KEYWORD' },
      { name: 'b', kind: 'POSITIONAL_OR_KEYWORD', default: 2 },
    ],
  });
});

test('a JSON call returns the JSON of the value; bad input is 400 or 422', async () => {
  const ok = await post('add', { body: { a: 40 } });
  assert.equal(ok.status, 200);
  assert.equal(json(ok), 42);
  const bad = await post('add', { body: '{"a": ', headers: { 'Content-Type': 'application/json' } });
  assert.equal(bad.status, 400);
  assert.equal(typeof (json(bad) as { error: string }).error, 'string');
  const missing = await post('add', { body: { b: 1 } });
  assert.equal(missing.status, 422);
  assert.deepEqual(json(missing), { error: "missing a required argument: 'a'" });
});

test('an exception is a 500 with the message only; the traceback goes to the log', async () => {
  const reply = await post('boom', { body: { x: 1 } });
  assert.equal(reply.status, 500);
  assert.deepEqual(json(reply), { error: 'ValueError: bad x' });
  const logs = await waitFor(
    'the traceback in the container log',
    async () => {
      const l = await containerLogs(driver, mainId);
      // The access line is written after the reply is sent, so wait for it too.
      const both = /Traceback[\s\S]*ValueError: bad x/.test(l.stderr) && /"POST \/boom" 500 /.test(l.stdout);
      return both ? l : undefined;
    },
    50,
  );
  assert.doesNotMatch(reply.body.toString(), /Traceback/);
  assert.match(logs.stderr, /File "\/app\/funcs\.py"/);
});

test("a JSON body nested past the decoder's limit is 400, and the server keeps serving", async () => {
  const depth = 30_000; // within the 64 kB body limit
  const body = Buffer.from(`{"a": ${'['.repeat(depth)}${']'.repeat(depth)}}`);
  const reply = await post('add', { body, headers: { 'Content-Type': 'application/json' } });
  assert.equal(reply.status, 400);
  assert.match(
    (json(reply) as { error: string }).error,
    /nests arrays or objects deeper than the server decodes/,
  );
  assert.deepEqual(json(await post('add', { body: { a: 1 } })), 3);
});

test('with RORO_HIDE_ERRORS=1 an exception is a generic 500; its text goes to the log only', async () => {
  const { id, hostPort } = await driver.run(serviceSpec(['funcs.boom'], [], { RORO_HIDE_ERRORS: '1' }));
  await waitHealthy(hostPort!);
  const reply = await call(hostPort!, 'POST', '/boom', {
    body: { x: 1 },
    headers: { 'X-Request-Id': 'hide-1' },
  });
  assert.equal(reply.status, 500);
  const message = (json(reply) as { error: string }).error;
  assert.match(message, /^function boom failed \(request hide-1\); .*roro logs/);
  assert.doesNotMatch(reply.body.toString(), /bad x|Traceback/);
  await waitFor('the exception in the container log', async () =>
    /raised ValueError \(request hide-1\)[\s\S]*ValueError: bad x/.test(
      (await containerLogs(driver, id)).stderr,
    )
      ? true
      : undefined,
  );
});

test('unknown paths are 404 JSON', async () => {
  const reply = await call(port, 'POST', '/nope', { headers: AUTH, body: {} });
  assert.equal(reply.status, 404);
  assert.equal(typeof (json(reply) as { error: string }).error, 'string');
});

test('numpy arrays and scalars and pandas frames encode as JSON', async () => {
  assert.deepEqual(json(await post('np_array')), [
    [0, 1, 2],
    [3, 4, 5],
  ]);
  assert.deepEqual(json(await post('np_scalar')), { i: 7, f: 0.5, b: true, nan: null });
  const frame = json(await post('pd_frame')) as Record<string, unknown>[];
  assert.equal(frame.length, 2);
  assert.deepEqual([frame[0]!.x, frame[0]!.y, frame[1]!.y], [1, 'a', 'b']);
  assert.match(String(frame[0]!.t), /^2024-01-01/);
});

test('a multipart upload passes files as binary and fields as strings', async () => {
  const data = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff, 0x0d, 0x0a]);
  const form = multipart([
    { name: 'file', filename: 'pic.png', data },
    { name: 'label', value: 'cat' },
  ]);
  const reply = await post('upload', { body: form.body, headers: { 'Content-Type': form.contentType } });
  assert.equal(reply.status, 200, reply.body.toString());
  assert.deepEqual(json(reply), {
    filename: 'pic.png',
    size: data.length,
    head: '\u0089PNG',
    label: 'cat',
    label_type: 'str',
    binary: true,
  });
});

test('a returned file object is sent as application/octet-stream', async () => {
  const reply = await post('download', { body: { text: 'bytes from a file' } });
  assert.equal(reply.status, 200);
  assert.equal(reply.headers['content-type'], 'application/octet-stream');
  assert.equal(reply.body.toString(), 'bytes from a file');
});

test('CORS preflight answers 200 before auth; a bad or missing token is 403 JSON', async () => {
  const pre = await call(port, 'OPTIONS', '/add', {
    headers: { Origin: 'https://app.example.test', 'Access-Control-Request-Method': 'POST' },
  });
  assert.equal(pre.status, 200);
  assert.equal(pre.headers['access-control-allow-origin'], '*');
  assert.equal(pre.headers['access-control-allow-methods'], 'GET,POST');
  assert.equal(pre.headers['access-control-allow-headers'], 'Content-Type, Authorization');
  for (const headers of [{}, { Authorization: 'Token wrong' }] as Record<string, string>[]) {
    const denied = await call(port, 'POST', '/add', { body: { a: 1 }, headers });
    assert.equal(denied.status, 403);
    assert.match((json(denied) as { error: string }).error, /Authorization: Token/);
    assert.equal(denied.headers['access-control-allow-origin'], '*');
  }
  assert.equal((await call(port, 'GET', '/')).status, 403);
});

test('a body over the size limit is 413 JSON', async () => {
  const reply = await post('add', { body: { a: 1, pad: 'x'.repeat(100_000) } });
  assert.equal(reply.status, 413);
  assert.match((json(reply) as { error: string }).error, /larger than the server's limit of 65536 bytes/);
});

test('slow requests run in parallel in a one-CPU container', async () => {
  const replies = await Promise.all([0, 1, 2, 3].map(() => post('stamp', { body: { seconds: 1.5 } })));
  const stamps = replies.map((r) => json(r) as { start: number; end: number; pid: number });
  // Every call started before any call ended: the four ran at the same time.
  assert.ok(
    Math.max(...stamps.map((s) => s.start)) < Math.min(...stamps.map((s) => s.end)),
    JSON.stringify(stamps),
  );
  // One CPU allowed, so one worker process served them all on its threads.
  assert.equal(new Set(stamps.map((s) => s.pid)).size, 1);
});

test('/_health answers only after a slow import has finished', async () => {
  const { id, hostPort } = await driver.run(serviceSpec(['gate.ping']));
  await waitFor('the import to start', async () =>
    (await containerLogs(driver, id)).stderr.includes('gate: import waiting') ? true : undefined,
  );
  for (let i = 0; i < 5; i++) {
    assert.notEqual((await call(hostPort!, 'GET', '/_health', { timeoutMs: 2000 })).status, 200);
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(await execIn(docker, id, ['touch', '/tmp/roro-gate-open']), 0);
  await waitHealthy(hostPort!);
  assert.match((await containerLogs(driver, id)).stderr, /gate: import done/);
  assert.deepEqual(json(await call(hostPort!, 'POST', '/ping')), 'pong');
});

test('stopping the container lets an in-flight request finish', async () => {
  const { id, hostPort } = await driver.run(serviceSpec(['funcs.slow']));
  await waitHealthy(hostPort!);
  const marker = '/tmp/slow-started';
  const inFlight = call(hostPort!, 'POST', '/slow', { body: { seconds: 3, marker } });
  await waitFor('the slow request to start', async () =>
    (await execIn(docker, id, ['test', '-f', marker])) === 0 ? true : undefined,
  );
  const stopped = driver.stop(id, 20);
  const reply = await inFlight;
  await stopped;
  assert.equal(reply.status, 200);
  assert.deepEqual(json(reply), { done: true });
  const status = await driver.inspect(id);
  assert.equal(status.state, 'exited');
  assert.equal(status.exitCode, 0);
});
