import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { logPath, REPO_ROOT } from '../../core/config.js';
import { rotatedFiles } from '../../platform/log-reader.js';
import { caCert, gatewayRequest } from '../helpers/deploy.js';
import { roro, testEnv, unique } from '../helpers/platform.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const env = testEnv();
const accessLog = logPath(env.home, 'gateway-access');
const lines = (file: string) => fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
const readOr = (file: string) => (fs.existsSync(file) ? lines(file) : []);

/** Requests to an unknown route, one at a time so the access log holds them in order: `/<run>/<i>`. */
class Requests {
  readonly run = unique('logs');
  sent = 0;
  private agent = new https.Agent({ keepAlive: true, maxSockets: 1, ca: caCert() });

  index(line: string): number | undefined {
    const m = new RegExp(`"GET /${this.run}/(\\d+) `).exec(line);
    return m ? Number(m[1]) : undefined;
  }

  ours(file: string): number[] {
    return readOr(file)
      .map((l) => this.index(l))
      .filter((i) => i !== undefined);
  }

  /** Sends until `done` holds (checked every 100 requests), at most enough for three full logs. */
  async until(done: () => boolean): Promise<void> {
    const limit = this.sent + Math.ceil((3 * env.logs.maxBytes) / 80);
    while (this.sent < limit) {
      const res = await gatewayRequest(`/${this.run}/${this.sent}`, { agent: this.agent });
      assert.equal(res.status, 404);
      this.sent += 1;
      if (this.sent % 100 === 0 && (await this.written()) && done()) return;
    }
    assert.fail(`${this.sent} requests did not rotate ${accessLog}`);
  }

  /** Waits (bounded) until the last request sent is in the access log: the supervisor writes asynchronously. */
  async written(): Promise<boolean> {
    for (let i = 0; i < 100; i++) {
      if (this.ours(accessLog).at(-1) === this.sent - 1) return true;
      await sleep(100);
    }
    return false;
  }

  close() {
    this.agent.destroy();
  }
}

test('the gateway access log rotates at RORO_LOG_MAX_BYTES and server logs -n reads across the rotation', async () => {
  const cap = env.logs.maxBytes;
  assert.ok(cap <= 1024 * 1024, 'scripts/test.sh starts the platform with a small RORO_LOG_MAX_BYTES');
  const req = new Requests();
  try {
    // Until the current file starts with our fourth line or a later one: a rotation happened
    // meanwhile, and the rotated file ends with at least three of ours.
    await req.until(() => (req.ours(accessLog)[0] ?? 0) >= 3);
  } finally {
    req.close();
  }
  const rotated = rotatedFiles(accessLog);
  assert.ok(rotated.length >= 1 && rotated.length <= env.logs.files, rotated.join(', '));
  for (const file of [accessLog, ...rotated]) {
    assert.ok(fs.statSync(file).size <= cap, `${file}: ${fs.statSync(file).size} bytes > ${cap}`);
  }
  // The rotated file was cut at the cap: the next line would not have fitted.
  const longest = Math.max(...lines(rotated[0]!).map((l) => l.length + 1));
  assert.ok(fs.statSync(rotated[0]!).size > cap - longest, 'rotated only when full');

  const current = lines(accessLog);
  const previous = lines(rotated[0]!);
  const res = await roro(['server', 'logs', 'gateway-access', '-n', String(current.length + 3)]);
  assert.equal(res.code, 0, res.stderr);
  assert.deepEqual(res.stdout.split('\n').filter(Boolean), [...previous.slice(-3), ...current]);
  // ...and those lines are our requests, consecutive and in order across the two files.
  const shown = res.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => req.index(l));
  const first = shown[0]!;
  assert.deepEqual(
    shown,
    shown.map((_, i) => first + i),
  );
  assert.equal(shown.at(-1), req.sent - 1);
});

test('server logs -f keeps following the access log through a rotation', async () => {
  const follower = spawn(
    path.join(REPO_ROOT, 'bin', 'roro'),
    ['server', 'logs', 'gateway-access', '-f', '-n', '0'],
    {
      env: process.env,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let output = '';
  follower.stdout.on('data', (d: Buffer) => (output += d.toString()));
  const req = new Requests();
  try {
    // Numbered requests start once the follower shows a line: it has the file open by then.
    for (let i = 0; i < 50 && !output.includes(`/${req.run}-ready`); i++) {
      await gatewayRequest(`/${req.run}-ready`);
      await sleep(200);
    }
    assert.match(output, new RegExp(`/${req.run}-ready`));
    await req.until(() => !req.ours(accessLog).includes(0));
    let shown: number[] = [];
    for (let i = 0; i < 100 && shown.at(-1) !== req.sent - 1; i++) {
      await sleep(100);
      shown = output
        .split('\n')
        .map((l) => req.index(l))
        .filter((n) => n !== undefined);
    }
    assert.deepEqual(
      shown,
      Array.from({ length: req.sent }, (_, i) => i),
      'every request once, in order, across the rotation',
    );
  } finally {
    req.close();
    follower.kill('SIGTERM');
  }
});
