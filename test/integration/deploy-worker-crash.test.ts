import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import { api, newUser, testEnv, unique } from '../helpers/platform.js';
import { followDeploy, gatewayRequest, projectCopy, startDeploy } from '../helpers/deploy.js';
import { readState } from '../../platform/state.js';

const docker = new Docker({ socketPath: '/var/run/docker.sock' });

const workerPid = () => readState(testEnv().home)?.components.find((c) => c.name === 'worker')?.pid;

test(
  'a worker killed mid-deploy is restarted and the deploy completes with no orphans',
  { timeout: 600_000 },
  async () => {
    const user = await newUser();
    const project = unique('crash');
    await api('POST', '/v1/projects', { token: user.token, body: { name: project } });
    // The module takes 8 s to import, so the worker dies while it waits for the service to be ready.
    const dir = projectCopy('hello', project, (d) =>
      fs.appendFileSync(path.join(d, 'greet.py'), '\nimport time\ntime.sleep(8)\n'),
    );
    const started = await startDeploy(user.token, project, dir);
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const before = workerPid();
    assert.ok(before, 'the supervisor knows the worker pid');
    let killed = false;
    const events = await followDeploy(user.token, project, started.body.deploy.id, (e) => {
      if (!killed && e.kind === 'phase' && e.message.startsWith('Starting')) {
        killed = true;
        process.kill(before, 'SIGKILL');
      }
    });
    assert.ok(killed, 'the worker was killed while the service started');
    const last = events.at(-1)!;
    assert.equal(last.kind, 'done', JSON.stringify(events.slice(-5)));
    for (let i = 0; i < 100 && workerPid() === before; i++) await new Promise((r) => setTimeout(r, 300));
    assert.notEqual(workerPid(), before, 'the supervisor started a new worker');
    const containers = await docker.listContainers({
      all: true,
      filters: { label: [`roro.project=${project}`] },
    });
    assert.equal(containers.length, 1, containers.map((c) => c.Names.join(',')).join(' '));
    assert.equal(containers[0]!.Labels['roro.deploy'], started.body.deploy.id);
    const res = await gatewayRequest(`/${project}/hello`, { body: { name: 'again' } });
    assert.equal(res.status, 200);
    assert.equal(res.body.greeting, 'hello again');
  },
);
