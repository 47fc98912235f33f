import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { api, newUser, roro, tempConfigDir, unique } from '../helpers/platform.js';
import { gatewayRequest, projectCopy } from '../helpers/deploy.js';

test(
  'roro deploy prints phases, URLs and the version; ps, releases and rollback follow',
  { timeout: 600_000 },
  async () => {
    const user = await newUser();
    const cfg = tempConfigDir();
    await roro(['login', '--email', user.email, '--password-stdin'], {
      configDir: cfg,
      input: user.password,
    });
    const project = unique('cli');
    assert.equal((await roro(['create', project], { configDir: cfg })).code, 0);
    const dir = projectCopy('hello', project);

    const dep = await roro(['deploy'], { configDir: cfg, cwd: dir, timeoutMs: 300_000 });
    assert.equal(dep.code, 0, dep.stderr);
    assert.match(dep.stderr, /Building docker image\.\.\. done\./);
    assert.match(dep.stderr, /Restarted one service\./);
    assert.match(dep.stdout, new RegExp(`^  default: https://localhost:\\d+/${project}/$`, 'm'));
    assert.match(dep.stdout, new RegExp(`^Deployed version 1 of ${project} project\\.$`, 'm'));
    const url = /default: (\S+)/.exec(dep.stdout)![1]!;
    const res = await gatewayRequest(`${new URL(url).pathname}hello`, { body: { name: 'cli' } });
    assert.equal(res.body.greeting, 'hello cli');

    const ps = await roro(['ps'], { configDir: cfg, cwd: dir });
    assert.equal(ps.code, 0, ps.stderr);
    assert.match(ps.stdout, /^NAME\s+STATUS\s+RELEASE\s+RUNNING\s+READY\s+RESTARTS\s+LAST EXIT\s+URL$/m);
    assert.match(ps.stdout, /^default\s+running\s+v1\s+1\/1\s+1\s+0\s+https:/m);
    const psJson = JSON.parse((await roro(['ps', '--json'], { configDir: cfg, cwd: dir })).stdout);
    assert.equal(psJson.services[0].name, 'default');

    fs.writeFileSync(
      path.join(dir, 'greet.py'),
      fs.readFileSync(path.join(dir, 'greet.py'), 'utf8').replace('"v1"', '"v2"'),
    );
    const second = await roro(['deploy'], { configDir: cfg, cwd: dir, timeoutMs: 300_000 });
    assert.match(second.stdout, /Deployed version 2 of/);
    const rel = await roro(['releases'], { configDir: cfg, cwd: dir });
    assert.match(rel.stdout, /^VERSION\s+KIND/m);
    assert.match(rel.stdout, /^v2\s+deploy/m);
    const back = await roro(['rollback'], { configDir: cfg, cwd: dir, timeoutMs: 300_000 });
    assert.equal(back.code, 0, back.stderr);
    assert.match(back.stdout + back.stderr, /version 1/);
    assert.equal((await gatewayRequest(`/${project}/hello`, { body: {} })).body.version, 'v1');
  },
);

test('roro deploy refuses a bad roro.yml before uploading, listing every problem with line and column', async () => {
  const user = await newUser();
  const cfg = tempConfigDir();
  await roro(['login', '--email', user.email, '--password-stdin'], { configDir: cfg, input: user.password });
  const project = unique('bad');
  await roro(['create', project], { configDir: cfg });
  const dir = projectCopy('hello', project, (d) =>
    fs.writeFileSync(
      path.join(d, 'roro.yml'),
      `project: ${project}\nservices:\n  - name: default\n  function: greet.hello\ntasks:\n  - name: train\n    command: python train.py\n    when: every blue moon\n`,
    ),
  );
  const res = await roro(['deploy'], { configDir: cfg, cwd: dir });
  assert.equal(res.code, 2);
  assert.match(res.stderr, /\b4:3\b/);
  assert.match(res.stderr, /function/);
  assert.doesNotMatch(res.stderr, /Uploading/);
  const deploys = await api('GET', `/v1/projects/${project}/releases`, { token: user.token });
  assert.deepEqual(deploys.body.releases, []);
  const none = await roro(['deploy'], { configDir: cfg, cwd: tempConfigDir() });
  assert.equal(none.code, 2);
  assert.match(none.stderr, /roro\.yml/);
});

test('a failing deploy exits 1 with the reason and the service log', { timeout: 300_000 }, async () => {
  const user = await newUser();
  const cfg = tempConfigDir();
  await roro(['login', '--email', user.email, '--password-stdin'], { configDir: cfg, input: user.password });
  const project = unique('fail');
  await roro(['create', project], { configDir: cfg });
  const dir = projectCopy('hello', project, (d) =>
    fs.writeFileSync(
      path.join(d, 'roro.yml'),
      `project: ${project}\nservices:\n  - name: default\n    function: greet.nothere\n`,
    ),
  );
  const res = await roro(['deploy'], { configDir: cfg, cwd: dir, timeoutMs: 300_000 });
  assert.equal(res.code, 1);
  assert.match(res.stderr, /^Error: .*Service default exited/m);
  assert.match(res.stderr, /could not import greet\.nothere/);
});
