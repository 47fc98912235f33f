import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { roro } from '../helpers/platform.js';

test('server status --json lists every component up, the worker proven by a workflow', async () => {
  const res = await roro(['server', 'status', '--json']);
  assert.equal(res.code, 0, res.stderr + res.stdout);
  const status = JSON.parse(res.stdout);
  const byName = new Map(status.components.map((c: { name: string }) => [c.name, c]));
  for (const name of ['postgres', 'temporal', 'temporal-ui', 'docker', 'api', 'gateway', 'worker']) {
    const c = byName.get(name) as { status: string; url: string } | undefined;
    assert.ok(c, `${name} listed`);
    assert.equal(c.status, 'up', `${name} up`);
    assert.ok(c.url.length > 0);
  }
  assert.match((byName.get('gateway') as { url: string }).url, /^https:\/\//);
  const text = await roro(['server', 'status']);
  assert.match(text.stdout, /^COMPONENT\s+STATUS\s+URL/m);
  assert.match(text.stderr, /roro server trust/);
  assert.match(text.stderr, /Deploy history: http:\/\/127\.0\.0\.1:\d+\/namespaces\/default\/workflows/);
});

test('a port already in use is reported by component name with its log path', async () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'roro-busy-'));
  const base = 27400 + Math.floor(Math.random() * 500);
  const blocker = net.createServer().listen(base + 32, '127.0.0.1');
  await new Promise((r) => blocker.once('listening', r));
  try {
    const res = await roro(['server', 'up'], { env: { RORO_HOME: home, RORO_PORT_BASE: String(base) } });
    assert.equal(res.code, 1);
    assert.match(
      res.stderr,
      new RegExp(`Error: postgres failed to start: port ${base + 32} on 127\\.0\\.0\\.1 is already in use`),
    );
    assert.match(res.stderr, new RegExp(`See its log ${home}/logs/postgres\\.log`));
  } finally {
    blocker.close();
    await roro(['server', 'down'], { env: { RORO_HOME: home, RORO_PORT_BASE: String(base) } });
    fs.rmSync(home, { recursive: true, force: true });
  }
});

test('server logs shows a component log and refuses unknown components', async () => {
  const res = await roro(['server', 'logs', 'api', '-n', '5']);
  assert.equal(res.code, 0, res.stderr);
  assert.match(res.stdout, /api listening|applied migration|\S/);
  const bad = await roro(['server', 'logs', 'nosuch']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /Unknown component nosuch/);
});
