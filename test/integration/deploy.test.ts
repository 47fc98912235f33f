import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import { api, newUser, unique } from '../helpers/platform.js';
import {
  continuousLoad,
  deployAndWait,
  gatewayRequest,
  projectCopy,
  startDeploy,
  followDeploy,
} from '../helpers/deploy.js';

const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const setVersion = (v: string) => (dir: string) => {
  const f = path.join(dir, 'greet.py');
  fs.writeFileSync(f, fs.readFileSync(f, 'utf8').replace(/VERSION = ".*"/, `VERSION = "${v}"`));
};
const serviceContainers = (project: string) =>
  docker.listContainers({ all: true, filters: { label: [`roro.project=${project}`, 'roro.kind=service'] } });

async function setup() {
  const user = await newUser();
  const project = unique('dep');
  assert.equal(
    (await api('POST', '/v1/projects', { token: user.token, body: { name: project } })).status,
    201,
  );
  return { token: user.token, project };
}

test(
  'deploy, zero-downtime redeploy, failed deploy keeps serving, rollback',
  { timeout: 900_000 },
  async (t) => {
    const { token, project } = await setup();

    await t.test('deploy then call over HTTPS through the gateway', async () => {
      const first = await deployAndWait(token, project, projectCopy('hello', project, setVersion('v1')));
      assert.equal(first.final.kind, 'done', JSON.stringify(first.events.slice(-5)));
      assert.equal(first.final.data.version, 1);
      assert.ok(first.events.some((e) => e.kind === 'phase' && e.message === 'Building docker image'));
      assert.ok(
        first.events.some((e) => e.kind === 'log' && /Successfully built|Step \d+\/\d+/.test(e.message)),
      );
      const url = new URL(first.final.data.urls.default);
      assert.equal(url.pathname, `/${project}/`);
      const res = await gatewayRequest(`/${project}/hello`, { body: { name: 'ada' } });
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, { greeting: 'hello ada', version: 'v1', release: '1' });
      const byHost = await gatewayRequest('/hello', { body: { name: 'host' }, host: `${project}.localhost` });
      assert.equal(byHost.status, 200);
      assert.equal(byHost.body.greeting, 'hello host');
      const meta = await gatewayRequest(`/${project}/`);
      assert.equal(meta.body.functions.hello.path, '/hello');
      assert.equal((await serviceContainers(project)).length, 1);
    });

    await t.test('a code-only redeploy under continuous load fails no request', async () => {
      const load = continuousLoad(`/${project}/hello`, { name: 'load' });
      await new Promise((r) => setTimeout(r, 500));
      const second = await deployAndWait(token, project, projectCopy('hello', project, setVersion('v2')));
      await new Promise((r) => setTimeout(r, 1000));
      const stats = await load.stop();
      assert.equal(second.final.kind, 'done', JSON.stringify(second.events.slice(-5)));
      assert.equal(stats.failed, 0, stats.errors.slice(0, 5).join('\n'));
      assert.ok(stats.ok > 10);
      assert.equal(stats.retried, 0, `${stats.retried} keep-alive resends`);
      assert.deepEqual([...stats.versions].sort(), ['v1', 'v2']);
      const containers = await serviceContainers(project);
      assert.equal(containers.length, 1, 'the old instance was retired');
      assert.equal(containers[0]!.Labels['roro.deploy'], second.id);
    });

    await t.test(
      'a deploy whose code cannot import fails with its log, removes its containers, and v2 keeps serving',
      async () => {
        const load = continuousLoad(`/${project}/hello`, { name: 'load' });
        const broken = projectCopy('hello', project, (dir) =>
          fs.appendFileSync(path.join(dir, 'greet.py'), '\nraise RuntimeError("model file is missing")\n'),
        );
        const failed = await deployAndWait(token, project, broken);
        const stats = await load.stop();
        assert.equal(failed.final.kind, 'failed');
        assert.match(failed.final.message, /Service default exited with code \d+ before it became ready/);
        assert.match(failed.final.message, /Serving now: default v2 \(1 of 1 instance ready\)\./);
        assert.ok(
          failed.final.data.logs.some((l: string) => /RuntimeError: model file is missing/.test(l)),
          JSON.stringify(failed.final.data),
        );
        assert.equal(stats.failed, 0, stats.errors.slice(0, 5).join('\n'));
        assert.deepEqual([...stats.versions], ['v2']);
        const containers = await serviceContainers(project);
        assert.equal(containers.length, 1);
        assert.notEqual(containers[0]!.Labels['roro.deploy'], failed.id);
        const st = await api('GET', `/v1/projects/${project}/deploys/${failed.id}`, { token });
        assert.equal(st.body.deploy.status, 'failed');
      },
    );

    await t.test('releases list both versions; rollback rolls out v1 without a rebuild', async () => {
      const rel = await api('GET', `/v1/projects/${project}/releases`, { token });
      assert.deepEqual(
        rel.body.releases.map((r: { version: number }) => r.version),
        [2, 1],
      );
      assert.equal(rel.body.releases[0].current, true);
      assert.match(rel.body.releases[0].codeSha256, /^[0-9a-f]{64}$/);
      const rb = await api('POST', `/v1/projects/${project}/rollbacks`, { token, body: { version: 1 } });
      assert.equal(rb.status, 202, JSON.stringify(rb.body));
      const events = await followDeploy(token, project, rb.body.deploy.id);
      const last = events.at(-1)!;
      assert.equal(last.kind, 'done', JSON.stringify(events.slice(-5)));
      assert.equal(last.data.version, 3);
      assert.ok(!events.some((e) => e.message === 'Building docker image'), 'no rebuild');
      const res = await gatewayRequest(`/${project}/hello`, { body: {} });
      assert.equal(res.body.version, 'v1');
      assert.equal(res.body.release, '3');
      const after = await api('GET', `/v1/projects/${project}/releases`, { token });
      assert.equal(after.body.releases[0].kind, 'rollback');
      assert.equal(after.body.releases[0].rollbackOf, 1);
    });

    await t.test('stop answers 503 JSON, start brings the service back', async () => {
      const stop = await api('POST', `/v1/projects/${project}/services/default/stop`, { token });
      assert.equal(stop.status, 202);
      assert.equal((await followDeploy(token, project, stop.body.deploy.id)).at(-1)!.kind, 'done');
      const down = await gatewayRequest(`/${project}/hello`, { body: {} });
      assert.equal(down.status, 503);
      assert.equal(typeof down.body.error, 'string');
      assert.equal((await serviceContainers(project)).length, 0);
      const ps = await api('GET', `/v1/projects/${project}/services`, { token });
      assert.equal(ps.body.services[0].status, 'stopped');
      const start = await api('POST', `/v1/projects/${project}/services/default/start`, { token });
      assert.equal((await followDeploy(token, project, start.body.deploy.id)).at(-1)!.kind, 'done');
      assert.equal((await gatewayRequest(`/${project}/hello`, { body: {} })).status, 200);
    });

    await t.test('deleting the project removes its containers, images and route', async () => {
      assert.equal((await api('DELETE', `/v1/projects/${project}`, { token })).status, 200);
      const images = () => docker.listImages({ filters: { label: [`roro.project=${project}`] } });
      for (
        let i = 0;
        i < 60 && ((await serviceContainers(project)).length > 0 || (await images()).length > 0);
        i++
      ) {
        await new Promise((r) => setTimeout(r, 500));
      }
      assert.equal((await serviceContainers(project)).length, 0);
      assert.equal((await images()).length, 0);
      const gone = await gatewayRequest(`/${project}/hello`, { body: {} });
      assert.equal(gone.status, 404);
    });
  },
);

test(
  'a second deploy while one runs is refused with the running deploy id',
  { timeout: 300_000 },
  async () => {
    const { token, project } = await setup();
    const dir = projectCopy('hello', project);
    const first = await startDeploy(token, project, dir);
    assert.equal(first.status, 202);
    const second = await startDeploy(token, project, dir);
    assert.equal(second.status, 409);
    assert.equal(second.body.error.code, 'deploy_running');
    assert.equal(second.body.error.details.deployId, first.body.deploy.id);
    await followDeploy(token, project, first.body.deploy.id);
  },
);

test('bad roro.yml and a project name mismatch are refused before anything starts', async () => {
  const { token, project } = await setup();
  const bad = projectCopy('hello', project, (dir) =>
    fs.writeFileSync(
      path.join(dir, 'roro.yml'),
      `project: ${project}\nservices:\n  - name: default\n    funtion: greet.hello\n`,
    ),
  );
  const res = await startDeploy(token, project, bad);
  assert.equal(res.status, 400);
  assert.equal(res.body.error.code, 'invalid_roro_yml');
  assert.ok(
    res.body.error.details.some(
      (i: { path: string; line: number }) => /funtion/.test(i.path) && i.line === 4,
    ),
  );
  const other = projectCopy('hello', 'someone-else');
  const mismatch = await startDeploy(token, project, other);
  assert.equal(mismatch.status, 400);
  assert.match(JSON.stringify(mismatch.body.error.details), /names project someone-else/);
  const rel = await api('GET', `/v1/projects/${project}/releases`, { token });
  assert.deepEqual(rel.body.releases, []);
});

test("deploying to someone else's project answers 404", async () => {
  const { project } = await setup();
  const stranger = await newUser();
  const res = await startDeploy(stranger.token, project, projectCopy('hello', project));
  assert.equal(res.status, 404);
});
