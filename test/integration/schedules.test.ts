import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { api, newUser, roro, testEnv, unique } from '../helpers/platform.js';
import { deployAndWait, projectCopy, startDeploy } from '../helpers/deploy.js';
import { connectTemporal } from '../../temporal/connection.js';
import { workflowIds } from '../../temporal/ids.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const TASKS_V1 = `tasks:
  - name: tick
    command: echo tick from $RORO_TASK; sleep 70
    cron: "* * * * *"
  - name: nightly
    command: python -c "print('nightly')"
    when: every day at 10:00 AM
`;
const TASKS_V2 = `tasks:
  - name: tick
    command: echo tock
    when: every 2 hours
    overlap: buffer_one
  - name: weekly
    command: echo weekly
    when: every week on sunday at 10:00 AM
    retries: 2
`;

const withTasks = (tasks: string) => (dir: string) => {
  const file = path.join(dir, 'roro.yml');
  fs.writeFileSync(file, `${fs.readFileSync(file, 'utf8').trimEnd()}\n${tasks}`);
};

async function syncNow(token: string, project: string) {
  // The same code the deploy's "Updating scheduled jobs" phase runs; idempotent, so calling it after a deploy that already synced is harmless.
  const res = await api('POST', `/v1/projects/${project}/tasks/sync`, { token });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.sync;
}

test(
  'tasks become schedules: a cron task fires, overlap skip, pause/resume/run, edits resync, garbage refused',
  { timeout: 600_000 },
  async (t) => {
    const user = await newUser();
    const project = unique('sched');
    await api('POST', '/v1/projects', { token: user.token, body: { name: project } });
    const cli = (args: string[]) =>
      roro(args, { env: { RORO_TOKEN: user.token, RORO_PROJECT: project, RORO_URL: testEnv().apiUrl } });
    const { client, connection } = await connectTemporal(testEnv());
    t.after(async () => {
      // Schedules outlive the test otherwise and would keep firing on this platform.
      for (const name of ['tick', 'nightly', 'weekly']) {
        await client.schedule
          .getHandle(workflowIds.task(project, name))
          .delete()
          .catch(() => undefined);
      }
      await connection.close();
    });

    await t.test('a garbage when: is refused by the deploy API, quoting the accepted forms', async () => {
      const bad = projectCopy(
        'hello',
        project,
        withTasks('tasks:\n  - name: x1\n    command: echo\n    when: every blue moon\n'),
      );
      const res = await startDeploy(user.token, project, bad);
      assert.equal(res.status, 400);
      assert.equal(res.body.error.code, 'invalid_roro_yml');
      assert.match(JSON.stringify(res.body.error.details), /every day at 10:00 AM/);
    });

    const v1 = await deployAndWait(user.token, project, projectCopy('hello', project, withTasks(TASKS_V1)));
    assert.equal(v1.final.kind, 'done', JSON.stringify(v1.events.slice(-5)));
    const first = await syncNow(user.token, project);
    assert.deepEqual([...first.created, ...first.unchanged].sort(), ['nightly', 'tick']);

    await t.test('roro tasks lists both with schedule and next run', async () => {
      const res = await cli(['tasks']);
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stdout, /NAME\s+SCHEDULE\s+NEXT RUN\s+LAST RUN\s+LAST STATUS\s+PAUSED/);
      assert.match(res.stdout, /nightly\s+every day at 10:00 \(UTC\)\s+in \d+ \w+/);
      assert.match(res.stdout, /tick\s+cron "\* \* \* \* \*" \(UTC\)/);
      const d = await client.schedule.getHandle(workflowIds.task(project, 'tick')).describe();
      assert.equal(d.policies.overlap, 'SKIP');
      assert.equal(d.policies.catchupWindow, 60_000);
    });

    await t.test(
      'the one-minute task fires, its run is listed and logged; the next fire is skipped while it runs',
      async () => {
        let run: { id: string; task: string } | undefined;
        for (let i = 0; i < 130 && !run; i++) {
          const jobs = (await api('GET', `/v1/projects/${project}/jobs?all=1`, { token: user.token })).body
            .jobs;
          run = jobs.find((j: { task?: string }) => j.task === 'tick');
          if (!run) await sleep(1000);
        }
        assert.ok(run, 'the task ran within 130 s');
        const ps = await cli(['ps']);
        assert.match(ps.stdout, new RegExp(`${run.id}\\s+running.*\\[tick\\] echo tick`));
        const handle = client.schedule.getHandle(workflowIds.task(project, 'tick'));
        let skipped = 0;
        for (let i = 0; i < 75 && skipped === 0; i++) {
          skipped = (await handle.describe()).info.numActionsSkippedOverlap;
          if (skipped === 0) await sleep(1000);
        }
        assert.ok(skipped >= 1, 'a fire time was skipped while the previous run went on');
        const jobs = (await api('GET', `/v1/projects/${project}/jobs?all=1`, { token: user.token })).body
          .jobs;
        assert.equal(
          jobs.filter((j: { task?: string }) => j.task === 'tick').length,
          1,
          'only one run at a time',
        );
        const logs = await cli(['logs', run.id]);
        assert.match(logs.stdout, /tick from tick/);
      },
    );

    await t.test('pause, resume and run now', async () => {
      assert.equal((await cli(['tasks:pause', 'nightly'])).code, 0);
      const paused = JSON.parse((await cli(['tasks', '--json'])).stdout).tasks.find(
        (x: { name: string }) => x.name === 'nightly',
      );
      assert.equal(paused.paused, true);
      assert.equal((await cli(['tasks:resume', 'nightly'])).code, 0);
      const run = await cli(['tasks:run', 'nightly']);
      assert.equal(run.code, 0, run.stderr);
      let done: { status: string; id: string } | undefined;
      for (let i = 0; i < 60 && !done; i++) {
        const jobs = (await api('GET', `/v1/projects/${project}/jobs?all=1`, { token: user.token })).body
          .jobs;
        done = jobs.find(
          (j: { task?: string; status: string }) => j.task === 'nightly' && j.status !== 'running',
        );
        if (!done) await sleep(1000);
      }
      assert.equal(done?.status, 'success');
      assert.match((await cli(['logs', done.id])).stdout, /^nightly$/m);
      const listed = JSON.parse((await cli(['tasks', '--json'])).stdout).tasks.find(
        (x: { name: string }) => x.name === 'nightly',
      );
      assert.equal(listed.paused, false);
      assert.equal(listed.lastStatus, 'success');
    });

    await t.test('editing roro.yml changes the schedules on the next deploy', async () => {
      const v2 = await deployAndWait(user.token, project, projectCopy('hello', project, withTasks(TASKS_V2)));
      assert.equal(v2.final.kind, 'done', JSON.stringify(v2.events.slice(-5)));
      await syncNow(user.token, project);
      const tasks = JSON.parse((await cli(['tasks', '--json'])).stdout).tasks;
      assert.deepEqual(
        tasks.map((x: { name: string }) => x.name),
        ['tick', 'weekly'],
      );
      assert.equal(tasks[0].schedule, 'every 2 hours');
      assert.equal(tasks[1].schedule, 'every sunday at 10:00 (UTC)');
      const tick = await client.schedule.getHandle(workflowIds.task(project, 'tick')).describe();
      assert.equal(tick.policies.overlap, 'BUFFER_ONE');
      const weekly = await client.schedule.getHandle(workflowIds.task(project, 'weekly')).describe();
      assert.equal(weekly.action.retry?.maximumAttempts, 3);
      await assert.rejects(client.schedule.getHandle(workflowIds.task(project, 'nightly')).describe());
      const again = await syncNow(user.token, project);
      assert.deepEqual(again.unchanged.sort(), ['tick', 'weekly']);
    });
  },
);
