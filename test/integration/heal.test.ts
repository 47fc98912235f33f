import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import Docker from 'dockerode';
import { api, newUser, roro, testEnv, unique } from '../helpers/platform.js';
import { continuousLoad, deployAndWait, gatewayRequest, projectCopy } from '../helpers/deploy.js';
import { volumeDir } from '../../core/config.js';
import { connectTemporal } from '../../temporal/connection.js';
import { platformTag } from '../../domain/project-network.js';

const docker = new Docker({ socketPath: testEnv().dockerSocket });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface ServiceView {
  name: string;
  status: string;
  instances: number;
  running: number;
  ready: number;
  restarts: number;
  lastExit: { reason: string; at: string } | null;
}

async function services(token: string, project: string): Promise<ServiceView[]> {
  const res = await api('GET', `/v1/projects/${project}/services`, { token });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.services;
}

/** Polls until `check` holds, for at most `withinMs`; returns how long it took or fails with the last value. */
async function within<T>(withinMs: number, read: () => Promise<T>, check: (v: T) => boolean, what: string) {
  const started = Date.now();
  let last: T | undefined;
  while (Date.now() - started < withinMs) {
    last = await read();
    if (check(last)) return Date.now() - started;
    await sleep(200);
  }
  assert.fail(`${what} did not happen within ${withinMs / 1000} s; last seen: ${JSON.stringify(last)}`);
}

async function serviceContainers(project: string, all = false) {
  return docker.listContainers({ all, filters: { label: [`roro.project=${project}`, 'roro.kind=service'] } });
}

async function deployed(fixture: string, edit?: (dir: string) => void) {
  const user = await newUser();
  const project = unique(fixture);
  assert.equal(
    (await api('POST', '/v1/projects', { token: user.token, body: { name: project } })).status,
    201,
  );
  const dep = await deployAndWait(user.token, project, projectCopy(fixture, project, edit));
  assert.equal(dep.final.kind, 'done', JSON.stringify(dep.events.slice(-5)));
  return { user, project };
}

const twoInstances = (dir: string) => {
  const file = `${dir}/roro.yml`;
  fs.writeFileSync(
    file,
    fs.readFileSync(file, 'utf8').replace('function: greet.hello', 'function: greet.hello\n    replicas: 2'),
  );
};

test(
  'docker kill of one of two instances: no request fails, and both serve again within 10 s',
  { timeout: 300_000 },
  async () => {
    const { user, project } = await deployed('hello', twoInstances);
    assert.equal((await serviceContainers(project)).length, 2);
    const load = continuousLoad(`/${project}/hello`, { name: 'heal' });
    await within(
      10_000,
      async () => load.stats.ok,
      (ok) => ok > 20,
      'requests served before the kill',
    );
    const [victim] = await serviceContainers(project);
    await docker.getContainer(victim!.Id).kill();
    const tookMs = await within(
      10_000,
      () => services(user.token, project),
      (s) => s[0]!.status === 'running' && s[0]!.ready === 2,
      'both instances serving again',
    );
    const okAfter = load.stats.ok;
    await within(
      10_000,
      async () => load.stats.ok,
      (ok) => ok > okAfter + 20,
      'requests served after',
    );
    const stats = await load.stop();
    assert.equal(stats.failed, 0, `failed requests: ${stats.errors.slice(0, 5).join('; ')}`);
    assert.equal(stats.retried, 0, 'the client never had to resend');
    const [svc] = await services(user.token, project);
    assert.equal(svc!.restarts, 1);
    assert.match(svc!.lastExit!.reason, /SIGKILL/);
    console.log(`# killed instance back in ${tookMs} ms; ${stats.ok} requests, 0 failed`);
    await api('DELETE', `/v1/projects/${project}`, { token: user.token });
  },
);

test(
  'a single instance: never shown running while dead, and it serves again within 10 s',
  { timeout: 300_000 },
  async () => {
    const { user, project } = await deployed('flaky');
    const [victim] = await serviceContainers(project);
    await docker.getContainer(victim!.Id).kill();
    await within(
      5000,
      async () => (await docker.getContainer(victim!.Id).inspect()).State.Running,
      (r) => !r,
      'the container stopping',
    );
    const [svc] = await services(user.token, project);
    if (svc!.ready === 0) assert.notEqual(svc!.status, 'running');
    const tookMs = await within(
      10_000,
      () => gatewayRequest(`/${project}/`).then((r) => r.status),
      (s) => s === 200,
      'serving again',
    );
    console.log(`# single killed instance serving again in ${tookMs} ms`);

    // A crash is restarted by the engine's restart policy, and reported.
    const crash = await gatewayRequest(`/${project}/crash`, { body: {} });
    assert.ok(crash.status >= 500, `a crashing request fails: ${crash.status}`);
    await within(
      10_000,
      () => gatewayRequest(`/${project}/`).then((r) => r.status),
      (s) => s === 200,
      'serving again after a crash',
    );
    await within(
      5000,
      () => services(user.token, project),
      (s) => s[0]!.restarts === 2 && s[0]!.lastExit?.reason === 'exited with code 3',
      'the crash counted',
    );

    // Out of memory: the kernel kills it, the engine restarts it, ps says why.
    await gatewayRequest(`/${project}/oom`, { body: {} }).catch(() => undefined);
    await within(
      30_000,
      () => services(user.token, project),
      (s) => /out of memory/.test(s[0]!.lastExit?.reason ?? '') && s[0]!.status === 'running',
      'an OOM kill reported and the instance serving again',
    );
    await api('DELETE', `/v1/projects/${project}`, { token: user.token });
  },
);

test(
  'an instance that keeps crashing backs off, is reported by ps and by server status',
  { timeout: 300_000 },
  async () => {
    const { user, project } = await deployed('flaky');
    const projectId = (await api('GET', `/v1/projects/${project}`, { token: user.token })).body.project.id;
    await gatewayRequest(`/${project}/crash-forever`, { body: {} }).catch(() => undefined);
    await within(
      30_000,
      () => services(user.token, project),
      (s) => s[0]!.status === 'crash-looping',
      'crash-looping reported',
    );
    const [container] = await serviceContainers(project, true);
    const count = async () => (await docker.getContainer(container!.Id).inspect()).RestartCount;
    // The engine waits longer before each attempt (0.1 s, doubling, up to a minute): a tight loop
    // of a process that dies at start would be some 50 attempts in 15 s.
    const before = await count();
    await sleep(15_000);
    const restarts = (await count()) - before;
    assert.ok(restarts <= 8, `${restarts} restarts in 15 s: not a tight loop`);
    const ps = await roro(['ps', '--project', project], { env: { RORO_TOKEN: user.token } });
    assert.match(ps.stdout, /crash-looping/);
    assert.match(ps.stdout, /exited with code 3/);

    const status = await roro(['server', 'status', '--json']);
    const components = JSON.parse(status.stdout).components as {
      name: string;
      status: string;
      detail?: string;
    }[];
    const svc = components.find((c) => c.name === 'services')!;
    assert.equal(svc.status, 'degraded');
    assert.match(svc.detail!, new RegExp(`${project}/default \\(0 of 1 ready\\)`));

    // Once the cause is gone, the engine's next attempt brings it back by itself.
    fs.rmSync(`${volumeDir(testEnv().home, String(projectId), 'data')}/crash-at-start`);
    await within(
      90_000,
      () => gatewayRequest(`/${project}/`).then((r) => r.status),
      (s) => s === 200,
      'serving again after the cause is fixed',
    );
    await api('DELETE', `/v1/projects/${project}`, { token: user.token });
  },
);

test("containers removed behind roro's back are rolled out again", { timeout: 300_000 }, async () => {
  const { user, project } = await deployed('hello');
  for (const c of await serviceContainers(project, true))
    await docker.getContainer(c.Id).remove({ force: true });
  await within(
    60_000,
    () => gatewayRequest(`/${project}/hello`, { body: { name: 'back' } }).then((r) => r.status),
    (s) => s === 200,
    'serving again from new containers',
  );
  // The healer went through the deploy workflow: the roll-out is in the deploy history.
  const { client, connection } = await connectTemporal(testEnv());
  try {
    await within(
      10_000,
      async () => {
        let n = 0;
        for await (const _ of client.workflow.list({
          query: `RoroProject = "${project}" AND RoroKind = "restart"`,
        }))
          n += 1;
        return n;
      },
      (n) => n >= 1,
      'a restart in the deploy history',
    );
  } finally {
    await connection.close();
  }
  await api('DELETE', `/v1/projects/${project}`, { token: user.token });
});

test('a failed deploy says what is actually serving', { timeout: 300_000 }, async () => {
  const { user, project } = await deployed('hello');
  const dep = await deployAndWait(
    user.token,
    project,
    projectCopy('hello', project, (dir) =>
      fs.writeFileSync(`${dir}/greet.py`, 'raise RuntimeError("broken at import")\n'),
    ),
  );
  assert.equal(dep.final.kind, 'failed');
  assert.match(dep.final.message, /Serving now: default v1 \(1 of 1 instance ready\)\./);
  assert.doesNotMatch(dep.final.message, /keeps serving/);
  const ok = await gatewayRequest(`/${project}/hello`, { body: { name: 'still' } });
  assert.equal(ok.status, 200);

  // server status probes a serving route end to end through the gateway.
  const status = await roro(['server', 'status', '--json']);
  const route = JSON.parse(status.stdout).components.find((c: { name: string }) => c.name === 'route');
  assert.equal(route.status, 'up');
  assert.match(route.detail, /answered 2\d\d/);
  await api('DELETE', `/v1/projects/${project}`, { token: user.token });
});

test(
  'server status proves the gateway path through the platform canary, and says when it fails',
  { timeout: 120_000 },
  async () => {
    const route = async () => {
      const status = await roro(['server', 'status', '--json']);
      return JSON.parse(status.stdout).components.find((c: { name: string }) => c.name === 'route') as {
        status: string;
        url: string;
        detail: string;
      };
    };
    // Earlier tests built the base image, so the canary runs by now.
    await within(30_000, route, (r) => /from the canary container/.test(r.detail), 'the canary answering');
    assert.match((await route()).url, /\/roro--canary\/$/);
    const [canary] = await docker.listContainers({
      filters: { label: ['roro.kind=canary', `roro.platform=${platformTag(testEnv().home)}`] },
    });
    assert.ok(canary, 'the canary container runs');
    // Frozen, the canary holds the path broken for as long as the test needs (a stopped one would
    // be started again by the healer within a sweep, faster than a status call can look).
    await docker.getContainer(canary.Id).pause();
    let down: Awaited<ReturnType<typeof route>> | undefined;
    try {
      await within(
        20_000,
        async () => (down = await route()),
        (r) => r.status === 'down',
        'status reporting the broken path',
      );
      assert.match(down!.detail, /answered 50[234]|did not answer/);
    } finally {
      await docker.getContainer(canary.Id).unpause();
    }
    await within(30_000, route, (r) => r.status === 'up', 'the healer bringing the canary back');
    // No user may take the canary's project name.
    const user = await newUser();
    const taken = await api('POST', '/v1/projects', { token: user.token, body: { name: 'roro' } });
    assert.equal(taken.status, 400);
    assert.match(taken.body.error.message, /reserved/);
  },
);
