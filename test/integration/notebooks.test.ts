import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import Docker from 'dockerode';
import { connectTemporal } from '../../temporal/connection.js';
import { workflowIds } from '../../temporal/ids.js';
import { readState } from '../../platform/state.js';
import { api, newUser, roro, testEnv, unique } from '../helpers/platform.js';
import { caCert, deployAndWait, gatewayRequest, projectCopy } from '../helpers/deploy.js';

const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 240_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = await fn();
    if (v) return v;
    await sleep(500);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Whether a string or any byte field anywhere in `value` holds `needle`. */
function holds(value: unknown, needle: string, depth = 0): boolean {
  if (depth > 64 || value === null || value === undefined) return false;
  if (typeof value === 'string') return value.includes(needle);
  if (value instanceof Uint8Array)
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength).includes(needle);
  if (typeof value !== 'object') return false;
  return Object.values(value as Record<string, unknown>).some((v) => holds(v, needle, depth + 1));
}

/** One masked client text frame (RFC 6455 §5.2). */
function wsFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  const mask = crypto.randomBytes(4);
  const len = payload.length;
  const head =
    len < 126
      ? Buffer.from([0x81, 0x80 | len])
      : Buffer.from([0x81, 0x80 | 126, (len >> 8) & 0xff, len & 0xff]);
  const body = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!));
  return Buffer.concat([head, mask, body]);
}

/** Unmasked server frames from a buffer: complete text payloads, and what is left over. */
function wsParse(buf: Buffer): { texts: string[]; rest: Buffer } {
  const texts: string[] = [];
  let off = 0;
  for (let n = 0; n < 10_000 && buf.length - off >= 2; n++) {
    let len = buf[off + 1]! & 0x7f;
    let head = 2;
    if (len === 126) {
      if (buf.length - off < 4) break;
      len = buf.readUInt16BE(off + 2);
      head = 4;
    } else if (len === 127) {
      if (buf.length - off < 10) break;
      len = Number(buf.readBigUInt64BE(off + 2));
      head = 10;
    }
    if (buf.length - off < head + len) break;
    if ((buf[off]! & 0x0f) === 1) texts.push(buf.subarray(off + head, off + head + len).toString());
    off += head + len;
  }
  return { texts, rest: buf.subarray(off) };
}

/** Opens a WebSocket through the gateway: resolves with the 101 socket, or the status it got instead. */
function wsOpen(pathname: string): Promise<{ status: number; socket?: Duplex; head?: Buffer }> {
  const env = testEnv();
  return new Promise((resolve, reject) => {
    const req = https.request({
      host: '127.0.0.1',
      port: env.ports.gatewayHttps,
      servername: env.domain,
      path: pathname,
      ca: caCert(),
      headers: {
        host: `${env.domain}:${env.ports.gatewayHttps}`,
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': crypto.randomBytes(16).toString('base64'),
      },
      timeout: 20_000,
    });
    req.on('upgrade', (res, socket, head) => resolve({ status: res.statusCode ?? 0, socket, head }));
    req.on('response', (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0 });
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

/** Runs `code` in the kernel over its channels socket; resolves with the stdout it printed. */
async function execute(socket: Duplex, head: Buffer, code: string): Promise<string> {
  const msgId = crypto.randomUUID();
  const msg = {
    header: {
      msg_id: msgId,
      username: 'test',
      session: crypto.randomUUID(),
      msg_type: 'execute_request',
      version: '5.3',
      date: new Date().toISOString(),
    },
    parent_header: {},
    metadata: {},
    content: {
      code,
      silent: false,
      store_history: false,
      user_expressions: {},
      allow_stdin: false,
      stop_on_error: true,
    },
    buffers: [],
    channel: 'shell',
  };
  return new Promise((resolve, reject) => {
    let buf = head;
    let printed = '';
    const timer = setTimeout(() => reject(new Error(`no output from the kernel; got ${printed}`)), 60_000);
    const onData = (d: Buffer) => {
      const parsed = wsParse(Buffer.concat([buf, d]));
      buf = parsed.rest;
      for (const t of parsed.texts) {
        const m = JSON.parse(t);
        if (m.parent_header?.msg_id !== msgId) continue;
        if (m.msg_type === 'stream') printed += m.content.text;
        if (m.msg_type === 'status' && m.content.execution_state === 'idle') {
          clearTimeout(timer);
          socket.off('data', onData);
          resolve(printed);
        }
      }
    };
    socket.on('data', onData);
    socket.write(wsFrame(JSON.stringify(msg)));
  });
}

async function workflowHistories(project: string, id: string): Promise<unknown[]> {
  const { client, connection } = await connectTemporal(testEnv());
  try {
    const out: unknown[] = [];
    for await (const wf of client.workflow.list({
      query: `WorkflowId = "${workflowIds.notebook(project, id)}"`,
    }))
      out.push(await client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory());
    return out;
  } finally {
    await connection.close();
  }
}

test(
  'notebooks: Jupyter behind the gateway, durable sessions, files kept',
  { timeout: 900_000 },
  async (t) => {
    const user = await newUser();
    const project = unique('nb');
    const P = `/v1/projects/${project}`;
    assert.equal(
      (await api('POST', '/v1/projects', { token: user.token, body: { name: project } })).status,
      201,
    );
    const nb = async (id: string) =>
      (await api('GET', `${P}/notebooks/${id}`, { token: user.token })).body.notebook;
    try {
      await t.test('a project without a release cannot start a notebook', async () => {
        const res = await api('POST', `${P}/notebooks`, { token: user.token, body: {} });
        assert.equal(res.status, 400);
        assert.equal(res.body.error.code, 'no_release');
        assert.match(res.body.error.hint, /deploy first/i);
      });

      const deployed = await deployAndWait(user.token, project, projectCopy('hello', project));
      assert.equal(deployed.final.kind, 'done', JSON.stringify(deployed.final));

      const started = await api('POST', `${P}/notebooks`, { token: user.token, body: { lab: true } });
      assert.equal(started.status, 202, JSON.stringify(started.body));
      const id = started.body.notebook.id as string;
      assert.equal(started.body.notebook.url, undefined);
      const running = await waitFor('notebook running', async () => {
        const n = await nb(id);
        assert.ok(n.status === 'starting' || n.status === 'running', JSON.stringify(n));
        return n.status === 'running' && n;
      });
      const url = new URL(running.url);
      const token = url.searchParams.get('token')!;
      assert.ok(token && token.length >= 32);
      const label = `${project}--nb-${id}`;
      assert.equal(url.pathname, `/${label}/lab`);
      const q = `?token=${token}`;

      await t.test('the Jupyter API answers through the gateway with the token only', async () => {
        const ok = await gatewayRequest(`/${label}/api/status${q}`);
        assert.equal(ok.status, 200, JSON.stringify(ok.body));
        const denied = await gatewayRequest(`/${label}/api/status`);
        assert.ok([302, 403].includes(denied.status), String(denied.status));
        const byHost = await gatewayRequest(`/api/status${q}`, { host: `${label}.${testEnv().domain}` });
        assert.equal(byHost.status, 200);
        const page = await gatewayRequest(`/${label}/lab${q}`);
        assert.equal(page.status, 200);
        assert.match(String(page.body), new RegExp(`/${label}/static/`));
        const logs = await api('GET', `${P}/notebooks/${id}/logs?tail=50`, { token: user.token });
        assert.equal(logs.status, 200);
        assert.ok(logs.body.lines.length > 0);
        assert.ok(!JSON.stringify(logs.body).includes(token));
      });

      await t.test('a notebook saved through Jupyter lands on the notebooks volume', async () => {
        const put = await gatewayRequest(`/${label}/api/contents/x.ipynb${q}`, {
          method: 'PUT',
          body: { type: 'notebook' },
        });
        assert.equal(put.status, 201, JSON.stringify(put.body));
        const ls = await api('GET', `${P}/volumes/notebooks/ls?path=`, { token: user.token });
        assert.equal(ls.status, 200);
        assert.match(JSON.stringify(ls.body), /x\.ipynb/);
      });

      await t.test('a kernel starts and its WebSocket runs code through the gateway', async () => {
        const k = await gatewayRequest(`/${label}/api/kernels${q}`, { method: 'POST', body: {} });
        assert.equal(k.status, 201, JSON.stringify(k.body));
        const ws = await wsOpen(`/${label}/api/kernels/${k.body.id}/channels${q}`);
        assert.equal(ws.status, 101);
        try {
          assert.match(await execute(ws.socket!, ws.head!, 'print(6 * 7)'), /42/);
          const seen = await execute(
            ws.socket!,
            ws.head!,
            'import os; print(os.getcwd(), os.getuid(), os.environ.get("RORO_PROJECT"), "RORO_API_TOKEN" in os.environ, "JUPYTER_TOKEN" in os.environ)',
          );
          assert.equal(seen.trim(), `/volumes/notebooks 1000 ${project} True True`);
        } finally {
          ws.socket!.destroy();
        }
      });

      await t.test('the session survives a killed worker', async () => {
        const workerPid = () => readState(testEnv().home)?.components.find((c) => c.name === 'worker')?.pid;
        const before = workerPid();
        assert.ok(before, 'the supervisor knows the worker pid');
        process.kill(before, 'SIGKILL');
        await waitFor('a new worker', async () => workerPid() !== before && workerPid(), 60_000);
        assert.equal((await gatewayRequest(`/${label}/api/status${q}`)).status, 200);
        assert.equal((await nb(id)).status, 'running');
      });

      await t.test('non-members see no notebook', async () => {
        const other = await newUser();
        assert.equal((await api('GET', `${P}/notebooks/${id}`, { token: other.token })).status, 404);
        assert.equal((await api('POST', `${P}/notebooks`, { token: other.token, body: {} })).status, 404);
        assert.equal((await api('POST', `${P}/notebooks/${id}/stop`, { token: other.token })).status, 404);
      });

      await t.test(
        'stopping removes the route and the container, keeps the files and never stores the token',
        async () => {
          const stop = await api('POST', `${P}/notebooks/${id}/stop`, { token: user.token });
          assert.equal(stop.status, 202);
          const ended = await waitFor('notebook stopped', async () => {
            const n = await nb(id);
            return n.status !== 'running' && n;
          });
          assert.equal(ended.status, 'stopped');
          assert.equal(ended.url, undefined);
          const gone = await gatewayRequest(`/${label}/api/status${q}`);
          assert.equal(gone.status, 404);
          assert.equal(typeof gone.body, 'object');
          assert.equal(
            (await docker.listContainers({ all: true, filters: { label: [`roro.notebook=${id}`] } })).length,
            0,
          );
          const ls = await api('GET', `${P}/volumes/notebooks/ls?path=`, { token: user.token });
          assert.match(JSON.stringify(ls.body), /x\.ipynb/);
          const histories = await workflowHistories(project, id);
          assert.equal(histories.length, 1);
          assert.equal(holds(histories, token), false);
        },
      );

      await t.test('a session whose Jupyter exits ends by itself, route gone', async () => {
        const res = await api('POST', `${P}/notebooks`, { token: user.token, body: {} });
        const id2 = res.body.notebook.id as string;
        const n2 = await waitFor('second notebook running', async () => {
          const n = await nb(id2);
          return n.status !== 'starting' && n;
        });
        assert.equal(n2.status, 'running', JSON.stringify(n2));
        const label2 = `${project}--nb-${id2}`;
        const tok2 = new URL(n2.url).searchParams.get('token')!;
        assert.equal(
          (await gatewayRequest(`/${label2}/api/shutdown?token=${tok2}`, { method: 'POST', body: {} }))
            .status,
          200,
        );
        const ended = await waitFor('session ended', async () => {
          const n = await nb(id2);
          return n.status !== 'running' && n;
        });
        assert.equal(ended.status, 'finished', JSON.stringify(ended));
        assert.equal((await gatewayRequest(`/${label2}/api/status`)).status, 404);
        assert.equal(
          (await docker.listContainers({ all: true, filters: { label: [`roro.notebook=${id2}`] } })).length,
          0,
        );
      });

      await t.test('roro run:notebook prints the URL; ps lists it; roro stop ends it', async () => {
        const env = { RORO_TOKEN: user.token, RORO_PROJECT: project, RORO_URL: testEnv().apiUrl };
        const run = await roro(['run:notebook'], { env, timeoutMs: 300_000 });
        assert.equal(run.code, 0, run.stderr);
        assert.match(run.stdout, /^URL: https:\/\/.*\/tree\?token=[0-9a-f]{48}$/m);
        const nbId = /Started notebook (\S+)/.exec(run.stdout)![1]!;
        const ps = await roro(['ps'], { env });
        assert.match(ps.stdout, new RegExp(`${nbId}\\s+running`));
        const token = /token=([0-9a-f]{48})/.exec(run.stdout)![1]!;
        const logs = await roro(['logs', nbId], { env });
        assert.equal(logs.code, 0, logs.stderr);
        assert.match(logs.stdout, /Jupyter|jupyter|Serving|http/);
        assert.ok(!logs.stdout.includes(token), 'the token is masked in the log');
        const stop = await roro(['stop', nbId], { env });
        assert.equal(stop.code, 0, stop.stderr);
        assert.match(stop.stdout, new RegExp(`Notebook ${nbId} stopped`));
      });
    } finally {
      await api('DELETE', `/v1/projects/${project}`, { token: user.token }).catch(() => undefined);
      for (const c of await docker.listContainers({
        all: true,
        filters: { label: [`roro.project=${project}`] },
      }))
        await docker
          .getContainer(c.Id)
          .remove({ force: true })
          .catch(() => undefined);
    }
  },
);
