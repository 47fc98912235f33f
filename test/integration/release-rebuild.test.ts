import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { homePaths } from '../../core/config.js';
import { api, newUser, projectCli, testEnv, unique } from '../helpers/platform.js';
import { removeProjectContainers, testDocker } from '../helpers/docker.js';
import { deployAndWait, gatewayRequest, projectCopy } from '../helpers/deploy.js';

const docker = testDocker();

test('a release keeps its code: a rollback, the healer and a job rebuild an image Docker lost, under its own tag', async (t) => {
  const user = await newUser();
  const project = unique('rebuild');
  const cli = projectCli(user.token, project);
  t.after(() => removeProjectContainers(project));
  assert.equal(
    (await api('POST', '/v1/projects', { token: user.token, body: { name: project } })).status,
    201,
  );
  const dir = projectCopy('hello', project);
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const first = await deployAndWait(user.token, project, dir);
  assert.equal(first.final.kind, 'done');
  const greet = path.join(dir, 'greet.py');
  fs.writeFileSync(greet, fs.readFileSync(greet, 'utf8').replace('VERSION = "v1"', 'VERSION = "v2"'));
  const second = await deployAndWait(user.token, project, dir);
  assert.equal(second.final.kind, 'done');

  const { releases } = (await api('GET', `/v1/projects/${project}/releases`, { token: user.token })).body;
  const v1 = releases.find((r: { version: number }) => r.version === 1);
  const kept = path.join(homePaths(testEnv().home).releases, String(await projectId(user.token, project)));
  assert.equal(fs.readdirSync(kept).length, 2, 'one archive per distinct code');
  const builds = homePaths(testEnv().home).builds;
  assert.deepEqual(
    [first.id, second.id].filter((id) => fs.existsSync(path.join(builds, id))),
    [],
    'the uploads moved to releases/ and their build directories are gone',
  );
  // Same code again: no second copy of the archive.
  assert.equal((await deployAndWait(user.token, project, dir)).final.kind, 'done');
  assert.equal(fs.readdirSync(kept).length, 2);

  await docker.getImage(v1.image).remove();
  const rollback = await cli(['rollback', '1']);
  assert.equal(rollback.code, 0, rollback.stderr);
  assert.match(rollback.stderr, /missing; rebuilding it from the release's kept code/);
  await docker.getImage(v1.image).inspect();
  const res = await gatewayRequest(`/${project}/hello`, { body: {} });
  assert.equal(res.body.version, 'v1');

  const current = (await api('GET', `/v1/projects/${project}/releases`, { token: user.token })).body
    .releases[0];
  assert.equal(current.image, v1.image, 'the rollback release names the rebuilt image');
  // Containers and image both gone: the healer rolls the service out again (a `restart`), and that
  // restart rebuilds the image from the kept code.
  await removeProjectContainers(project);
  await docker.getImage(v1.image).remove();
  let version: unknown;
  for (let i = 0; i < 240 && version !== 'v1'; i++) {
    await new Promise((r) => setTimeout(r, 500));
    version = await gatewayRequest(`/${project}/hello`, { body: {} }).then(
      (r) => r.body?.version,
      () => undefined,
    );
  }
  assert.equal(version, 'v1', 'serving v1 again from a rebuilt image');
  await docker.getImage(v1.image).inspect();

  // A job (and a scheduled run, and a notebook) starts from the latest release's image: it is rebuilt
  // too. The service is stopped first, so that only the job needs the image.
  const stop = await cli(['stop', 'default']);
  assert.equal(stop.code, 0, stop.stderr);
  await removeProjectContainers(project);
  await docker.getImage(v1.image).remove();
  const started = await api('POST', `/v1/projects/${project}/jobs`, {
    token: user.token,
    body: { command: ['python', '-c', 'import greet; print(greet.VERSION)'] },
  });
  assert.equal(started.status, 202, JSON.stringify(started.body));
  let job = started.body.job;
  for (let i = 0; i < 600 && job.status === 'running'; i++) {
    await new Promise((r) => setTimeout(r, 500));
    job = (await api('GET', `/v1/projects/${project}/jobs/${job.id}`, { token: user.token })).body.job;
  }
  assert.equal(job.status, 'success', JSON.stringify(job));
  const logs = await api('GET', `/v1/projects/${project}/jobs/${job.id}/logs`, { token: user.token });
  assert.match(JSON.stringify(logs.body), /v1/);
  await docker.getImage(v1.image).inspect();

  const del = await cli(['projects:delete', project, '-y']);
  assert.equal(del.code, 0, del.stderr);
  assert.equal(fs.existsSync(kept), false, 'kept code removed with the project');
});

async function projectId(token: string, project: string): Promise<string> {
  const res = await api('GET', `/v1/projects/${project}`, { token });
  return String(res.body.project.id);
}
