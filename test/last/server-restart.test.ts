import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api, login, newUser, roro, testEnv, unique } from '../helpers/platform.js';
import { connectTemporal } from '../../temporal/connection.js';
import { pingWorker } from '../../platform/ping.js';

test(
  'after down and up, users, projects and workflow history are all still there',
  { timeout: 300_000 },
  async () => {
    const env = testEnv();
    const user = await newUser();
    const name = unique('durable');
    assert.equal((await api('POST', '/v1/projects', { token: user.token, body: { name } })).status, 201);
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
    await after.connection.close();
  },
);
