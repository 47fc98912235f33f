import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api, login, newUser, roro, testEnv, unique } from '../helpers/platform.js';
import { connectTemporal } from '../../temporal/connection.js';
import { pingWorker } from '../../platform/ping.js';
import { deployAndWait, gatewayRequest, helloWithNightlyTask } from '../helpers/deploy.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A deployed service with a task, and a finished job: what must outlive a platform restart. */
async function workload(token: string, project: string) {
  const dep = await deployAndWait(token, project, helloWithNightlyTask(project));
  assert.equal(dep.final.kind, 'done', JSON.stringify(dep.events.slice(-3)));
  const started = await api('POST', `/v1/projects/${project}/jobs`, {
    token,
    body: { command: ['python', '-c', 'print("kept across restarts")'] },
  });
  let job = started.body.job;
  for (let i = 0; i < 120 && job.status === 'running'; i++) {
    await sleep(500);
    job = (await api('GET', `/v1/projects/${project}/jobs/${job.id}`, { token })).body.job;
  }
  assert.equal(job.status, 'success');
  return job.id as string;
}

test(
  'after down and up, users, projects and workflow history are all still there',
  { timeout: 300_000 },
  async () => {
    const env = testEnv();
    const user = await newUser();
    const name = unique('durable');
    assert.equal((await api('POST', '/v1/projects', { token: user.token, body: { name } })).status, 201);
    const jobId = await workload(user.token, name);
    assert.ok(await pingWorker(env, 20_000));
    const before = await connectTemporal(env);
    const count = async (c: typeof before.client) => {
      let n = 0;
      for await (const _ of c.workflow.list({ query: `WorkflowType = "ping"` })) n += 1;
      return n;
    };
    const pings = await count(before.client);
    await before.connection.close();
    assert.ok(pings >= 1);

    const down = await roro(['server', 'down']);
    assert.equal(down.code, 0, down.stderr);
    const stopped = await roro(['server', 'status', '--json']);
    assert.equal(stopped.code, 1);
    assert.ok(
      JSON.parse(stopped.stdout).components.some(
        (c: { name: string; status: string }) => c.name === 'api' && c.status === 'down',
      ),
    );

    const up = await roro(['server', 'up'], { timeoutMs: 240_000 });
    assert.equal(up.code, 0, up.stderr);
    assert.doesNotMatch(up.stderr, /Created the first admin/);
    const token = await login(user.email, user.password);
    const project = await api('GET', `/v1/projects/${name}`, { token });
    assert.equal(project.status, 200);
    assert.equal(
      (await api('GET', '/v1/auth/whoami', { token: user.token })).status,
      200,
      'old token still valid',
    );
    const after = await connectTemporal(env);
    assert.ok((await count(after.client)) >= pings, 'workflow history kept');
    const jobs = await api('GET', `/v1/projects/${name}/jobs?all=1`, { token });
    assert.equal(jobs.body.jobs.find((j: { id: string }) => j.id === jobId)?.status, 'success');
    const logs = await api('GET', `/v1/projects/${name}/jobs/${jobId}/logs`, { token });
    assert.match(JSON.stringify(logs.body), /kept across restarts/);
    const tasks = await api('GET', `/v1/projects/${name}/tasks`, { token });
    assert.deepEqual(
      tasks.body.tasks.map((t: { name: string }) => t.name),
      ['nightly'],
    );
    // The service answers again: still running, or rolled out anew if the Docker engine restarted with the platform.
    let res = await gatewayRequest(`/${name}/hello`, { body: { name: 'again' } }).catch(() => undefined);
    for (let i = 0; i < 120 && res?.status !== 200; i++) {
      await sleep(500);
      res = await gatewayRequest(`/${name}/hello`, { body: { name: 'again' } }).catch(() => undefined);
    }
    assert.equal(res?.status, 200);
    await after.connection.close();
  },
);
