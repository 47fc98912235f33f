import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { api, login, newUser, projectCli, roro, testEnv, unique } from '../helpers/platform.js';
import { deployAndWait, gatewayRequest, helloWithNightlyTask } from '../helpers/deploy.js';
import { supervisorRunning } from '../../platform/control.js';
import { testDocker, withEngine } from '../helpers/docker.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A deployed service with a task, a saved model and a file on a volume. */
async function workload(token: string, project: string, scratch: string) {
  assert.equal((await api('POST', '/v1/projects', { token, body: { name: project } })).status, 201);
  const dir = helloWithNightlyTask(project);
  const dep = await deployAndWait(token, project, dir);
  fs.rmSync(dir, { recursive: true, force: true });
  assert.equal(dep.final.kind, 'done', JSON.stringify(dep.events.slice(-3)));
  const model = crypto.randomBytes(70_000);
  const saved = await fetch(`${testEnv().apiUrl}/v1/projects/${project}/models/clf/versions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
    body: model,
  });
  assert.equal(saved.status, 201, await saved.text());
  const local = path.join(scratch, 'notes.txt');
  fs.writeFileSync(local, 'kept on the volume\n');
  const cp = await cli(token, project, ['cp', local, 'data:kept/notes.txt']);
  assert.equal(cp.code, 0, cp.stderr);
  return model;
}

const cli = (token: string, project: string, args: string[]) => projectCli(token, project)(args);

/** What a new machine lacks: the project's containers and image (the engine may be down with the platform). */
const removeProjectFromDocker = (project: string) =>
  withEngine((docker) => removeFromEngine(docker, project));

async function removeFromEngine(docker: Docker, project: string): Promise<string[]> {
  const containers = await docker.listContainers({
    all: true,
    filters: { label: [`roro.project=${project}`] },
  });
  for (const c of containers) await docker.getContainer(c.Id).remove({ force: true });
  const removed: string[] = [];
  // Only the project's own image; the base and runtime images it builds on stay.
  for (const image of await docker.listImages({ filters: { label: [`roro.project=${project}`] } })) {
    for (const tag of image.RepoTags ?? []) {
      assert.ok(tag.startsWith(`roro/app-${project}:`), tag);
      await docker.getImage(tag).remove();
      removed.push(tag);
    }
  }
  return removed;
}

/** Whatever happens above, the suite's platform is left up (on the old home if the restore never ran). */
async function ensurePlatformUp(home: string, moved: string): Promise<void> {
  if (supervisorRunning(testEnv())) return;
  if (!fs.existsSync(path.join(home, 'postgres', 'PG_VERSION')) && fs.existsSync(moved)) {
    fs.rmSync(home, { recursive: true, force: true });
    fs.renameSync(moved, home);
  }
  const up = await roro(['server', 'up'], { timeoutMs: 300_000 });
  assert.equal(up.code, 0, up.stderr);
}

test(
  'backup, then restore on an empty RORO_HOME: users, projects, releases, tasks, models, volumes and the service come back',
  { timeout: 900_000 },
  async (t) => {
    const env = testEnv();
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'roro-restore-test-'));
    const moved = `${env.home}.before-restore-${crypto.randomBytes(3).toString('hex')}`;
    const project = unique('restore');
    t.after(async () => {
      await ensurePlatformUp(env.home, moved);
      await removeProjectFromDocker(project).catch(() => undefined);
      fs.rmSync(moved, { recursive: true, force: true });
      fs.rmSync(scratch, { recursive: true, force: true });
    });
    const user = await newUser();
    const model = await workload(user.token, project, scratch);
    const releases = (await api('GET', `/v1/projects/${project}/releases`, { token: user.token })).body
      .releases;
    assert.equal(releases.length, 1);

    const missingDir = await roro(['server', 'backup', path.join(scratch, 'no-such-dir', 'b.tar.gz')]);
    assert.equal(missingDir.code, 2, missingDir.stderr);
    assert.match(missingDir.stderr, /Directory .*no-such-dir does not exist\.\nCreate it/);

    const file = path.join(scratch, 'platform.tar.gz');
    const backup = await roro(['server', 'backup', file], { timeoutMs: 300_000 });
    assert.equal(backup.code, 0, backup.stderr);
    assert.match(backup.stdout, /^Wrote .*platform\.tar\.gz \(.*, mode 0600\)/m);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    const secrets = ['postgres-password', 'config-key'].map((n) =>
      fs.readFileSync(path.join(env.home, 'secrets', n), 'utf8').trim(),
    );
    for (const s of [...secrets, process.env.RORO_ADMIN_PASSWORD!]) {
      assert.ok(!backup.stdout.includes(s) && !backup.stderr.includes(s), 'no secret printed');
    }

    assert.equal((await roro(['server', 'down'])).code, 0);
    const stopped = await roro(['server', 'backup', path.join(scratch, 'stopped.tar.gz')]);
    assert.equal(stopped.code, 1);
    assert.match(
      stopped.stderr,
      /is not running; a backup is taken from the running platform\.\nStart it with `roro server up`/,
    );
    const refused = await roro(['server', 'restore', file]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /already holds a platform: the platform database/);
    assert.match(refused.stderr, /add --force/);

    fs.renameSync(env.home, moved);
    const removed = await removeProjectFromDocker(project);
    assert.deepEqual(removed, [releases[0].image]);

    const restore = await roro(['server', 'restore', file], { timeoutMs: 600_000 });
    assert.equal(restore.code, 0, restore.stderr);
    assert.match(restore.stdout, /^releases\s+\d+\s+\d+$/m);
    assert.match(restore.stdout, new RegExp(`Projects with running services: .*${project}`));

    const token = await login(user.email, user.password);
    let res = await gatewayRequest(`/${project}/hello`, { body: { name: 'restored' } }).catch(
      () => undefined,
    );
    for (let i = 0; i < 600 && res?.status !== 200; i++) {
      await sleep(1000);
      res = await gatewayRequest(`/${project}/hello`, { body: { name: 'restored' } }).catch(() => undefined);
    }
    assert.equal(res?.status, 200, 'the service answers again, from a rebuilt image');
    assert.match(JSON.stringify(res?.body), /hello restored/);
    await testDocker().getImage(releases[0].image).inspect(); // rebuilt under the release's own tag

    const after = (await api('GET', `/v1/projects/${project}/releases`, { token })).body.releases;
    assert.deepEqual(after, releases);
    const tasks = await api('GET', `/v1/projects/${project}/tasks`, { token });
    assert.deepEqual(
      tasks.body.tasks.map((x: { name: string }) => x.name),
      ['nightly'],
    );
    const out = path.join(scratch, 'model.out');
    const dl = await cli(token, project, ['models:download', 'clf:1', out]);
    assert.equal(dl.code, 0, dl.stderr);
    assert.ok(fs.readFileSync(out).equals(model), 'same model bytes');
    const back = path.join(scratch, 'notes.back');
    const cp = await cli(token, project, ['cp', 'data:kept/notes.txt', back]);
    assert.equal(cp.code, 0, cp.stderr);
    assert.equal(fs.readFileSync(back, 'utf8'), 'kept on the volume\n');

    const status = await roro(['server', 'status', '--json']);
    assert.equal(status.code, 0, status.stdout);
  },
);
