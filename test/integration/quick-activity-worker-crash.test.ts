import { test } from 'node:test';
import assert from 'node:assert/strict';
import Docker from 'dockerode';
import proto from '@temporalio/proto';
import { api, newUser, testEnv, unique } from '../helpers/platform.js';
import { deployAndWait, projectCopy } from '../helpers/deploy.js';
import { connectTemporal } from '../../temporal/connection.js';
import { workflowIds } from '../../temporal/ids.js';
import { readState } from '../../platform/state.js';

const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const workerPid = () => readState(testEnv().home)?.components.find((c) => c.name === 'worker')?.pid;

// A job that ignores SIGTERM: stopping it takes the whole grace period, so the worker can be
// killed while stopJobContainer runs.
const STUBBORN = [
  'python',
  '-c',
  "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('started', flush=True); time.sleep(600)",
];

test(
  'a worker killed while it stops a job’s container: the retry follows within seconds, not after the 2-minute timeout',
  { timeout: 300_000 },
  async (t) => {
    const user = await newUser();
    const project = unique('quickcrash');
    const created = await api('POST', '/v1/projects', { token: user.token, body: { name: project } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const v1 = await deployAndWait(user.token, project, projectCopy('hello', project));
    assert.equal(v1.final.kind, 'done', JSON.stringify(v1.events.slice(-3)));

    const started = await api('POST', `/v1/projects/${project}/jobs`, {
      token: user.token,
      body: { command: STUBBORN },
    });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const id = started.body.job.id as string;
    const filters = { label: [`roro.job=${id}`], status: ['running'] };
    for (let i = 0; i < 240 && !(await docker.listContainers({ filters })).length; i++) await sleep(250);
    assert.equal((await docker.listContainers({ filters })).length, 1, 'the job runs');

    const stopped = await api('POST', `/v1/projects/${project}/jobs/${id}/stop`, { token: user.token });
    assert.equal(stopped.status, 202, JSON.stringify(stopped.body));
    const { client, connection } = await connectTemporal(testEnv());
    try {
      const handle = client.workflow.getHandle(workflowIds.job(project, id));
      let stopping = false;
      for (let i = 0; i < 120 && !stopping; i++) {
        const { raw } = await handle.describe();
        stopping = (raw.pendingActivities ?? []).some(
          (a) =>
            a.activityType?.name === 'stopJobContainer' &&
            a.state === proto.temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED,
        );
        if (!stopping) await sleep(250);
      }
      assert.ok(stopping, 'stopJobContainer is under way');
    } finally {
      await connection.close();
    }
    const before = workerPid();
    assert.ok(before, 'the supervisor knows the worker pid');
    process.kill(before, 'SIGKILL');
    const killedAt = Date.now();

    // Well under the quick profile's 2-minute start-to-close timeout, which a retry used to wait for.
    let job = started.body.job;
    for (let i = 0; i < 120 && job.status === 'running'; i++) {
      await sleep(500);
      job = (await api('GET', `/v1/projects/${project}/jobs/${id}`, { token: user.token })).body.job;
    }
    assert.equal(job.status, 'cancelled', `within 60 s of the kill: ${JSON.stringify(job)}`);
    t.diagnostic(`cancelled ${((Date.now() - killedAt) / 1000).toFixed(1)} s after the worker was killed`);
    assert.notEqual(workerPid(), before, 'the supervisor started a new worker');
    const mine = { all: true, filters: { label: [`roro.job=${id}`] } };
    for (let i = 0; i < 40 && (await docker.listContainers(mine)).length; i++) await sleep(250);
    assert.equal((await docker.listContainers(mine)).length, 0, 'the job’s container is removed');
  },
);
