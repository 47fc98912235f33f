import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { homePaths } from '../../core/config.js';
import { createPool } from '../../db/pool.js';
import { connectTemporal } from '../../temporal/connection.js';
import { workflowIds } from '../../temporal/ids.js';
import { api, newUser, roro, testEnv, unique } from '../helpers/platform.js';
import { continuousLoad, deployAndWait, gatewayRequest, projectCopy } from '../helpers/deploy.js';

/** Every file under dir (bounded), as one buffer per file. */
function readTree(dir: string, out: { file: string; data: Buffer }[] = [], budget = { files: 2000 }) {
  for (const name of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
    if (budget.files-- <= 0) break;
    const p = path.join(dir, name);
    const st = fs.lstatSync(p);
    if (st.isDirectory()) readTree(p, out, budget);
    else if (st.isFile()) out.push({ file: p, data: fs.readFileSync(p) });
  }
  return out;
}

/** Whether a string or any byte field (payloads are bytes, not text) anywhere in `value` holds `needle`. */
function holds(value: unknown, needle: Buffer, depth = 0): boolean {
  if (depth > 64 || value === null || value === undefined) return false;
  if (typeof value === 'string') return value.includes(needle.toString());
  if (value instanceof Uint8Array)
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength).includes(needle);
  if (typeof value !== 'object') return false;
  return Object.values(value as Record<string, unknown>).some((v) => holds(v, needle, depth + 1));
}

async function deployHistories(project: string): Promise<unknown[]> {
  const { client, connection } = await connectTemporal(testEnv());
  try {
    const histories: unknown[] = [];
    for await (const wf of client.workflow.list({ query: `WorkflowId = "${workflowIds.deploy(project)}"` })) {
      histories.push(await client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory());
    }
    return histories;
  } finally {
    await connection.close();
  }
}

const envOf = async (project: string, name: string) =>
  (await gatewayRequest(`/${project}/env?name=${name}`)).body.value as string | null;

test(
  'config vars reach services, roll them without downtime, and never leak',
  { timeout: 900_000 },
  async (t) => {
    const user = await newUser();
    const project = unique('cfg');
    assert.equal(
      (await api('POST', '/v1/projects', { token: user.token, body: { name: project } })).status,
      201,
    );
    const cli = (args: string[]) =>
      roro(args, { env: { RORO_TOKEN: user.token, RORO_PROJECT: project, RORO_URL: testEnv().apiUrl } });
    const secret = `s3cret-${crypto.randomBytes(12).toString('hex')}`;
    const first = await deployAndWait(user.token, project, projectCopy('volume-reader', project));
    assert.equal(first.final.kind, 'done', JSON.stringify(first.events.slice(-5)));

    await t.test('bad and reserved names are refused with the rule', async () => {
      for (const [arg, re] of [
        ['lower=1', /\[A-Z_\]\[A-Z0-9_\]\*/],
        ['PORT=1', /PORT is reserved/],
        ['RORO_X=1', /RORO_X is reserved/],
        ['NOEQUALS', /not NAME=VALUE/],
      ] as const) {
        const res = await cli(['config:set', arg]);
        assert.equal(res.code, 2, res.stderr);
        assert.match(res.stderr, re);
      }
      const unset = await cli(['config:unset', 'RORO_PROJECT']);
      assert.equal(unset.code, 2);
    });

    await t.test('config:set rolls the running service onto the value with no failed request', async () => {
      const load = continuousLoad(`/${project}/env?name=MY_SECRET`, {});
      const res = await cli(['config:set', `MY_SECRET=${secret}`, 'GREETING=hello world=1']);
      const stats = await load.stop();
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stderr, /Set MY_SECRET, GREETING/);
      assert.match(res.stdout, /Restarted the services of .* with the new config/);
      assert.equal(stats.failed, 0, stats.errors.slice(0, 5).join('\n'));
      assert.ok(stats.ok > 0);
      assert.equal(await envOf(project, 'MY_SECRET'), secret);
      assert.equal(await envOf(project, 'GREETING'), 'hello world=1');
    });

    await t.test('roro config masks values unless asked', async () => {
      const masked = await cli(['config']);
      assert.equal(masked.code, 0);
      assert.match(masked.stdout, /^GREETING=•+\nMY_SECRET=•+\n$/);
      const shown = await cli(['config', '--show']);
      assert.ok(shown.stdout.includes(`MY_SECRET=${secret}`));
      const json = JSON.parse((await cli(['config', '--json'])).stdout);
      assert.equal(json.config.MY_SECRET, secret);
    });

    await t.test('--no-restart stores the value without touching the services', async () => {
      const res = await cli(['config:set', 'LATER=1', '--no-restart']);
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stderr, /not restarted/);
      assert.equal(await envOf(project, 'LATER'), null);
    });

    await t.test('config:unset removes the variable from the service', async () => {
      const res = await cli(['config:unset', 'GREETING']);
      assert.equal(res.code, 0, res.stderr);
      assert.equal(await envOf(project, 'GREETING'), null);
      assert.equal(await envOf(project, 'MY_SECRET'), secret);
      assert.equal(
        await envOf(project, 'LATER'),
        '1',
        'the restart picked up the value set with --no-restart',
      );
    });

    await t.test('the value is encrypted at rest and absent from logs, ps and workflow history', async () => {
      const needle = Buffer.from(secret);
      const pool = createPool(testEnv(), 1);
      try {
        const rows = await pool.query(
          `SELECT value_enc FROM config_vars c JOIN projects p ON p.id = c.project_id WHERE p.name = $1`,
          [project],
        );
        assert.equal(rows.rowCount, 2);
        for (const r of rows.rows)
          assert.ok(!String(r.value_enc).includes(secret) && String(r.value_enc).startsWith('v1:'));
      } finally {
        await pool.end();
      }
      const logs = readTree(homePaths(testEnv().home).logs);
      assert.ok(logs.length > 0, 'the platform writes logs');
      for (const { file, data } of logs) assert.ok(!data.includes(needle), `${file} contains the secret`);
      assert.ok(
        !execFileSync('ps', ['-eo', 'args']).includes(needle),
        'a process command line shows the secret',
      );
      let histories: unknown[] = [];
      for (let i = 0; i < 20 && histories.length < 3; i++) {
        histories = await deployHistories(project);
        if (histories.length < 3) await new Promise((r) => setTimeout(r, 500));
      }
      assert.ok(histories.length >= 3, `the deploy and two restarts in history, got ${histories.length}`);
      assert.ok(
        histories.some((h) => holds(h, Buffer.from(first.id))),
        'the search sees payload bytes (the deploy id is in them)',
      );
      for (const h of histories) {
        assert.ok(
          !JSON.stringify(h).includes(secret) && !holds(h, needle),
          'a deploy workflow history carries the secret',
        );
      }
    });
  },
);
