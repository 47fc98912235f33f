import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { Connection, WorkflowClient } from '@temporalio/client';
import { waitFor } from '../../core/wait.js';
import { REPO_ROOT } from '../../core/config.js';
import { api, login, testEnv, unique } from '../helpers/platform.js';
import { secondPlatform } from '../helpers/second-platform.js';
import { followDeploy, projectCopy, startDeploy } from '../helpers/deploy.js';
import { testDocker } from '../helpers/docker.js';

/** Starts one more platform process (a worker or an API) in `environ`; resolves once it says `ready`. */
async function extraProcess(
  script: string,
  environ: NodeJS.ProcessEnv,
  ready: RegExp,
): Promise<ChildProcess> {
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'dist', script)], {
    env: environ,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  await waitFor(async () => ready.test(output), {
    timeoutMs: 60_000,
    abort: () => (child.exitCode !== null ? `${script} exited: ${output}` : undefined),
  });
  return child;
}

const stopProcess = (child: ChildProcess | undefined) =>
  new Promise<void>((resolve) => {
    if (!child || child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });

/** The identities of the workers that ran each activity of a workflow run. */
async function activityWorkers(client: WorkflowClient, workflowId: string, runId: string): Promise<string[]> {
  const history = await client.getHandle(workflowId, runId).fetchHistory();
  return (history.events ?? []).flatMap((e) =>
    e.activityTaskStartedEventAttributes?.identity ? [e.activityTaskStartedEventAttributes.identity] : [],
  );
}

test(
  'external PostgreSQL and Temporal: nothing of them is started, status says external, and two workers and two APIs deploy each release exactly once',
  { timeout: 900_000 },
  async (t) => {
    const a = testEnv();
    const second = await secondPlatform(50);
    const { home, environ, env: b } = second;
    const url = second.database;
    const project = unique('ext');
    const extra: ChildProcess[] = [];
    t.after(async () => {
      for (const child of extra) await stopProcess(child);
      await second.remove([project]);
    });

    const up = await second.cli(['server', 'up']);
    assert.equal(up.code, 0, up.stderr);
    const password = decodeURIComponent(url.password);
    assert.ok(
      !up.stdout.includes(password) && !up.stderr.includes(password),
      'the database password is not printed',
    );
    const status = await second.cli(['server', 'status', '--json']);
    assert.equal(status.code, 0, status.stderr);
    assert.ok(!status.stdout.includes(password));
    const rows = JSON.parse(status.stdout).components as { name: string; url: string; external?: boolean }[];
    const row = (name: string) => rows.find((r) => r.name === name);
    assert.equal(row('postgres')?.url, `postgres://${url.username}@${url.host}${url.pathname}`);
    assert.equal(row('postgres')?.external, true);
    assert.equal(row('temporal')?.url, a.temporalAddress);
    assert.equal(row('temporal')?.external, true);
    assert.equal(row('temporal-ui'), undefined, 'no Temporal UI of its own');
    const human = await second.cli(['server', 'status']);
    assert.match(human.stdout, /^postgres .* up .*external \(RORO_DATABASE_URL\), not started by roro$/m);
    assert.match(human.stdout, /^temporal .* up .*external \(TEMPORAL_ADDRESS\), not started by roro$/m);
    assert.ok(!fs.existsSync(path.join(home, 'postgres')), 'no PostgreSQL cluster in RORO_HOME');
    assert.ok(!fs.existsSync(path.join(home, 'temporal.db')), 'no Temporal database in RORO_HOME');

    // A second worker on the same task queue, and a second API on its own port.
    extra.push(await extraProcess('workers/main.js', environ, /worker polling task queue/));
    const api2Port = b.ports.api + 1;
    const api2 = `http://127.0.0.1:${api2Port}`;
    extra.push(
      await extraProcess(
        'api/main.js',
        { ...environ, RORO_API_PORT: String(api2Port) },
        /api listening on http/,
      ),
    );
    const apis = [b.apiUrl, api2];
    const token = await login(process.env.RORO_ADMIN_EMAIL!, process.env.RORO_ADMIN_PASSWORD!, b.apiUrl);
    assert.equal(
      (await api('POST', '/v1/projects', { token, body: { name: project }, baseUrl: api2 })).status,
      201,
    );
    const dir = projectCopy('hello', project, (d) => {
      const yml = path.join(d, 'roro.yml');
      fs.writeFileSync(
        yml,
        fs
          .readFileSync(yml, 'utf8')
          .replace('function: greet.hello', 'function: greet.hello\n    replicas: 2'),
      );
    });
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }));

    // The same deploy sent to both APIs at once: one runs, the other is refused.
    const both = await Promise.all(apis.map((u) => startDeploy(token, project, dir, u)));
    assert.deepEqual(both.map((r) => r.status).sort(), [202, 409], JSON.stringify(both.map((r) => r.body)));
    const first = both.find((r) => r.status === 202)!;
    const ids = [first.body.deploy.id as string];
    const events = await followDeploy(token, project, ids[0]!, undefined, b.apiUrl);
    assert.equal(events.at(-1)?.kind, 'done', JSON.stringify(events.slice(-3)));
    for (const [i, u] of [api2, b.apiUrl, api2].entries()) {
      fs.writeFileSync(
        path.join(dir, 'greet.py'),
        fs
          .readFileSync(path.join(dir, 'greet.py'), 'utf8')
          .replace(/VERSION = ".*"/, `VERSION = "v${i + 2}"`),
      );
      const started = await startDeploy(token, project, dir, u);
      assert.equal(started.status, 202, JSON.stringify(started.body));
      ids.push(started.body.deploy.id);
      const ev = await followDeploy(token, project, started.body.deploy.id, undefined, u);
      assert.equal(ev.at(-1)?.kind, 'done', JSON.stringify(ev.slice(-3)));
    }

    // Each deploy was done exactly once: one release each, one `done` event each, one set of containers.
    const releases = (await api('GET', `/v1/projects/${project}/releases`, { token, baseUrl: api2 })).body
      .releases;
    assert.deepEqual(
      releases.map((r: { version: number }) => r.version),
      [4, 3, 2, 1],
    );
    const db = new pg.Client({ connectionString: url.toString() });
    await db.connect();
    try {
      const counts = await db.query<{
        id: string;
        status: string;
        done: string;
        failed: string;
        releases: string;
        run_id: string;
      }>(
        `SELECT d.id, d.status, d.run_id,
           (SELECT count(*) FROM deploy_events e WHERE e.deploy_id = d.id AND e.kind = 'done') AS done,
           (SELECT count(*) FROM deploy_events e WHERE e.deploy_id = d.id AND e.kind = 'failed') AS failed,
           (SELECT count(*) FROM releases r WHERE r.deploy_id = d.id) AS releases
         FROM deploys d WHERE d.id = ANY($1)`,
        [ids],
      );
      assert.equal(counts.rows.length, 4);
      for (const r of counts.rows) {
        assert.deepEqual([r.status, r.done, r.failed, r.releases], ['succeeded', '1', '0', '1'], r.id);
      }
      const running = await testDocker().listContainers({
        filters: { label: [`roro.project=${project}`, 'roro.kind=service'] },
      });
      assert.equal(running.length, 2, 'one set of two instances');
      assert.deepEqual(new Set(running.map((c) => c.Labels['roro.deploy'])), new Set([ids[3]]));

      // Both workers took part: the activities of the four deploys ran on two worker identities.
      const connection = await Connection.connect({ address: a.temporalAddress });
      try {
        const client = new WorkflowClient({ connection, namespace: b.temporalNamespace });
        const workers = new Set<string>();
        for (const r of counts.rows) {
          for (const w of await activityWorkers(client, `deploy:${project}`, r.run_id)) workers.add(w);
        }
        assert.equal(workers.size, 2, `activities ran on ${[...workers].join(', ')}`);
      } finally {
        await connection.close();
      }
    } finally {
      await db.end();
    }
  },
);
