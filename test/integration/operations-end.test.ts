import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import { api, newUser, testEnv, unique } from '../helpers/platform.js';
import {
  deployAndWait,
  followDeploy,
  gatewayRequest,
  helloWithNightlyTask,
  projectCopy,
  startDeploy,
} from '../helpers/deploy.js';
import { createPool } from '../../db/pool.js';
import { connectTemporal } from '../../temporal/connection.js';
import { workflowIds } from '../../temporal/ids.js';
import { readState, supervisorPidPath } from '../../platform/state.js';

const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function newProject(prefix: string) {
  const user = await newUser();
  const project = unique(prefix);
  const res = await api('POST', '/v1/projects', { token: user.token, body: { name: project } });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return { token: user.token, project };
}

test(
  'a deploy whose workflow is terminated by hand is closed by the sweep, which names what serves and removes its containers',
  { timeout: 300_000 },
  async () => {
    const { token, project } = await newProject('swept');
    const v1 = await deployAndWait(token, project, projectCopy('hello', project));
    assert.equal(v1.final.kind, 'done', JSON.stringify(v1.events.slice(-3)));
    // The new release takes a minute to import: the workflow is terminated while it waits.
    const dir = projectCopy('hello', project, (d) =>
      fs.appendFileSync(path.join(d, 'greet.py'), '\nimport time\ntime.sleep(60)\n'),
    );
    const started = await startDeploy(token, project, dir);
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const id = started.body.deploy.id as string;
    const filters = { label: [`roro.deploy=${id}`] };
    for (let i = 0; i < 240 && !(await docker.listContainers({ filters })).length; i++) await sleep(250);
    assert.equal((await docker.listContainers({ filters })).length, 1, 'the new instance runs');
    const { client, connection } = await connectTemporal(testEnv());
    try {
      await client.workflow.getHandle(workflowIds.deploy(project)).terminate('test: ended by hand');
    } finally {
      await connection.close();
    }
    const events = await followDeploy(token, project, id);
    const last = events.at(-1)!;
    assert.equal(last.kind, 'failed', JSON.stringify(events.slice(-3)));
    assert.match(last.message, /ended without recording its outcome \(terminated\)/);
    assert.match(last.message, /Removed 1 container/);
    assert.match(last.message, /Serving now: default v1 \(1 of 1 instance ready\)/);
    const deploy = await api('GET', `/v1/projects/${project}/deploys/${id}`, { token });
    assert.equal(deploy.body.deploy.status, 'failed');
    assert.equal((await docker.listContainers({ all: true, filters })).length, 0, 'no orphan container');
    const res = await gatewayRequest(`/${project}/hello`, { body: { name: 'still' } });
    assert.equal(res.status, 200, 'the previous release still serves');
  },
);

test(
  'a job whose workflow is terminated by hand is closed by the sweep and its container removed',
  { timeout: 300_000 },
  async () => {
    const { token, project } = await newProject('sweptjob');
    const v1 = await deployAndWait(token, project, projectCopy('hello', project));
    assert.equal(v1.final.kind, 'done', JSON.stringify(v1.events.slice(-3)));
    const started = await api('POST', `/v1/projects/${project}/jobs`, {
      token,
      body: { command: ['sleep', '600'] },
    });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const id = started.body.job.id as string;
    const filters = { label: [`roro.job=${id}`] };
    for (let i = 0; i < 240 && !(await docker.listContainers({ filters })).length; i++) await sleep(250);
    assert.equal((await docker.listContainers({ filters })).length, 1, 'the job runs');
    const { client, connection } = await connectTemporal(testEnv());
    try {
      await client.workflow.getHandle(workflowIds.job(project, id)).terminate('test: ended by hand');
    } finally {
      await connection.close();
    }
    let job = started.body.job;
    for (let i = 0; i < 120 && job.status === 'running'; i++) {
      await sleep(500);
      job = (await api('GET', `/v1/projects/${project}/jobs/${id}`, { token })).body.job;
    }
    assert.equal(job.status, 'failed', JSON.stringify(job));
    assert.equal(job.error, 'The workflow ended without recording its outcome (terminated).');
    assert.equal((await docker.listContainers({ all: true, filters })).length, 0, 'no orphan container');
  },
);

test(
  'a failure after the route switch (the schedules) fails the deploy, which names the release that serves',
  { timeout: 300_000 },
  async () => {
    const { token, project } = await newProject('afterswitch');
    const v1 = await deployAndWait(token, project, helloWithNightlyTask(project));
    assert.equal(v1.final.kind, 'done', JSON.stringify(v1.events.slice(-3)));
    const pool = createPool(testEnv(), 1);
    const fn = `refuse_tasks_${project.replace(/-/g, '_')}`;
    try {
      const projectId = (await pool.query('SELECT id FROM projects WHERE name = $1', [project])).rows[0].id;
      // The database refuses this project's task rows for good, as a revoked privilege would.
      await pool.query(
        `CREATE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
           IF NEW.project_id = ${Number(projectId)} THEN
             RAISE EXCEPTION 'tasks of this project are refused' USING ERRCODE = 'insufficient_privilege';
           END IF; RETURN NEW; END $$`,
      );
      await pool.query(
        `CREATE TRIGGER ${fn} BEFORE INSERT OR UPDATE ON tasks FOR EACH ROW EXECUTE FUNCTION ${fn}()`,
      );
      const v2 = await deployAndWait(token, project, helloWithNightlyTask(project));
      assert.equal(v2.final.kind, 'failed', JSON.stringify(v2.events.slice(-3)));
      assert.match(v2.final.message, /The database refused syncSchedules: tasks of this project are refused/);
      assert.match(v2.final.message, /Serving now: default v2 \(1 of 1 instance ready\)/);
      assert.equal(v2.events.filter((e) => e.kind === 'failed').length, 1, 'one failed event');
      const deploy = await api('GET', `/v1/projects/${project}/deploys/${v2.id}`, { token });
      assert.equal(deploy.body.deploy.status, 'failed');
      assert.match(deploy.body.deploy.error, /Serving now: default v2/);
      const res = await gatewayRequest(`/${project}/hello`, { body: { name: 'v2' } });
      assert.equal(res.status, 200, 'the new release serves');
    } finally {
      await pool.query(`DROP TRIGGER IF EXISTS ${fn} ON tasks`);
      await pool.query(`DROP FUNCTION IF EXISTS ${fn}()`);
      await pool.end();
    }
  },
);

test('an event-writing activity run twice writes one event', { timeout: 60_000 }, async () => {
  const { token, project } = await newProject('twice');
  const pool = createPool(testEnv(), 1);
  try {
    const projectId = (await pool.query('SELECT id FROM projects WHERE name = $1', [project])).rows[0].id;
    const id = `dtwice${Date.now().toString(36)}`;
    await pool.query(
      `INSERT INTO deploys (id, project_id, kind, workflow_id) VALUES ($1, $2, 'restart', 'test:twice')`,
      [id, projectId],
    );
    const { MockActivityEnvironment } = await import('@temporalio/testing');
    const { createActivities } = await import('../../activities/index.js');
    const acts = createActivities({ env: testEnv(), db: pool, docker });
    // Two attempts of one activity (same run, same activity id) after a lost completion.
    const info = { activityId: '7', workflowExecution: { workflowId: 'test:twice', runId: 'r1' } };
    for (const attempt of [1, 2]) {
      const env = new MockActivityEnvironment({ ...info, attempt });
      await env.run(acts.emit, id, 'phase' as const, 'Building docker image');
      await env.run(acts.finishDeploy, id, { version: 1, urls: {}, restarted: 0 });
      await env.run(acts.failDeploy, id, 'late failure');
    }
    const events = await pool.query(
      'SELECT kind, message FROM deploy_events WHERE deploy_id = $1 ORDER BY seq',
      [id],
    );
    assert.deepEqual(
      events.rows.map((e) => e.kind),
      ['phase', 'done'],
      JSON.stringify(events.rows),
    );
    const st = await api('GET', `/v1/projects/${project}/deploys/${id}`, { token });
    assert.equal(st.body.deploy.status, 'succeeded');
  } finally {
    await pool.end();
  }
});

/**
 * Temporal is killed while the supervisor is paused (so it is not started again at once): every
 * kind of operation is refused 503 and leaves no running row. The platform is resumed whatever happens.
 */
test(
  'a workflow that cannot be started leaves no running row: deploys, jobs and notebooks answer 503',
  { timeout: 300_000 },
  async (t) => {
    const { token, project } = await newProject('nostart');
    const v1 = await deployAndWait(token, project, projectCopy('hello', project));
    assert.equal(v1.final.kind, 'done', JSON.stringify(v1.events.slice(-3)));
    const home = testEnv().home;
    const supervisor = Number(fs.readFileSync(supervisorPidPath(home), 'utf8'));
    const temporal = readState(home)!.components.find((c) => c.name === 'temporal')!.pid!;
    const pool = createPool(testEnv(), 1);
    const running = async () =>
      (
        await pool.query(
          `SELECT (SELECT count(*) FROM deploys d JOIN projects p ON p.id = d.project_id WHERE p.name = $1 AND d.status = 'running')
                + (SELECT count(*) FROM jobs j JOIN projects p ON p.id = j.project_id WHERE p.name = $1 AND j.status = 'running')
                + (SELECT count(*) FROM notebooks n JOIN projects p ON p.id = n.project_id WHERE p.name = $1 AND n.status IN ('starting', 'running')) AS n`,
          [project],
        )
      ).rows[0].n;
    process.kill(supervisor, 'SIGSTOP');
    try {
      process.kill(temporal, 'SIGKILL');
      const t0 = Date.now();
      const deploy = await startDeploy(token, project, projectCopy('hello', project));
      t.diagnostic(`deploy refused after ${Date.now() - t0} ms`);
      const job = await api('POST', `/v1/projects/${project}/jobs`, { token, body: { command: ['true'] } });
      const notebook = await api('POST', `/v1/projects/${project}/notebooks`, { token, body: {} });
      for (const [what, res] of [
        ['deploy', deploy],
        ['job', job],
        ['notebook', notebook],
      ] as const) {
        assert.equal(res.status, 503, `${what}: ${JSON.stringify(res.body)}`);
        assert.equal(res.body.error.code, 'unavailable', what);
        assert.equal(res.body.error.details?.component, 'temporal', what);
        assert.match(res.body.error.message, /^Temporal is unreachable: .* could not be started/);
        assert.match(res.body.error.hint, /roro server status/);
      }
      assert.equal(Number(await running()), 0, 'no operation row is left running');
      const refused = await pool.query(
        `SELECT d.status, d.error FROM deploys d JOIN projects p ON p.id = d.project_id
         WHERE p.name = $1 AND d.id <> $2`,
        [project, v1.id],
      );
      assert.equal(refused.rows.length, 1, 'the refused deploy is on record');
      assert.equal(refused.rows[0].status, 'failed');
      assert.match(refused.rows[0].error, /could not be started/);
    } finally {
      process.kill(supervisor, 'SIGCONT');
      await pool.end();
    }
    // The supervisor starts Temporal again; the next operation works.
    let job = { status: 0, body: {} as any };
    for (let i = 0; i < 120 && job.status !== 202; i++) {
      await sleep(1000);
      job = await api('POST', `/v1/projects/${project}/jobs`, { token, body: { command: ['true'] } });
    }
    assert.equal(job.status, 202, JSON.stringify(job.body));
  },
);
