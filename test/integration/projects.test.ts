import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { api, newUser, testEnv, unique } from '../helpers/platform.js';
import { homePaths } from '../../core/config.js';

test('creating a project makes it visible to its owner with volumes data and notebooks', async () => {
  const user = await newUser();
  const name = unique('proj');
  const created = await api('POST', '/v1/projects', { token: user.token, body: { name } });
  assert.equal(created.status, 201);
  assert.equal(created.body.project.name, name);
  assert.equal(created.body.project.role, 'owner');
  const vols = await api('GET', `/v1/projects/${name}/volumes`, { token: user.token });
  assert.deepEqual(
    vols.body.volumes.map((v: { name: string }) => v.name),
    ['data', 'notebooks'],
  );
  for (const v of ['data', 'notebooks']) {
    const dir = path.join(homePaths(testEnv().home).volumes, created.body.project.id, v);
    assert.ok(fs.statSync(dir).isDirectory(), `${dir} exists`);
  }
  const list = await api('GET', '/v1/projects', { token: user.token });
  assert.deepEqual(
    list.body.projects.map((p: { name: string }) => p.name),
    [name],
  );
});

test('invalid project names are refused with the rule in the message', async () => {
  const user = await newUser();
  for (const name of [
    'Upper',
    'a',
    '1abc',
    'has_underscore',
    'double--hyphen',
    'trailing-',
    'x'.repeat(41),
    '',
  ]) {
    const res = await api('POST', '/v1/projects', { token: user.token, body: { name } });
    assert.equal(res.status, 400, `name ${JSON.stringify(name)}`);
    assert.match(res.body.error.message, /lowercase letters, digits and single hyphens/);
  }
});

test('project names are unique across users', async () => {
  const a = await newUser();
  const b = await newUser();
  const name = unique('shared');
  assert.equal((await api('POST', '/v1/projects', { token: a.token, body: { name } })).status, 201);
  const dup = await api('POST', '/v1/projects', { token: b.token, body: { name } });
  assert.equal(dup.status, 409);
  assert.match(dup.body.error.message, /taken/);
});

test("someone else's project answers 404 exactly like a missing one", async () => {
  const owner = await newUser();
  const other = await newUser();
  const name = unique('private');
  await api('POST', '/v1/projects', { token: owner.token, body: { name } });
  const missing = await api('GET', `/v1/projects/${unique('missing')}`, { token: other.token });
  for (const [method, p] of [
    ['GET', `/v1/projects/${name}`],
    ['GET', `/v1/projects/${name}/volumes`],
    ['DELETE', `/v1/projects/${name}`],
  ] as const) {
    const res = await api(method, p, { token: other.token });
    assert.equal(res.status, 404, `${method} ${p}`);
    assert.equal(res.body.error.code, missing.body.error.code);
  }
  const list = await api('GET', '/v1/projects', { token: other.token });
  assert.ok(!list.body.projects.some((p: { name: string }) => p.name === name));
  // Still there for its owner.
  assert.equal((await api('GET', `/v1/projects/${name}`, { token: owner.token })).status, 200);
});

test('members see the project; only the owner deletes it, and its volumes go with it', async () => {
  const owner = await newUser();
  const member = await newUser();
  const name = unique('team');
  const created = await api('POST', '/v1/projects', { token: owner.token, body: { name } });
  const add = await api('POST', `/v1/projects/${name}/members`, {
    token: owner.token,
    body: { email: member.email },
  });
  assert.equal(add.status, 201);
  const seen = await api('GET', `/v1/projects/${name}`, { token: member.token });
  assert.equal(seen.body.project.role, 'member');
  assert.equal((await api('DELETE', `/v1/projects/${name}`, { token: member.token })).status, 404);
  assert.equal((await api('DELETE', `/v1/projects/${name}`, { token: owner.token })).status, 200);
  assert.equal((await api('GET', `/v1/projects/${name}`, { token: owner.token })).status, 404);
  const dir = path.join(homePaths(testEnv().home).volumes, created.body.project.id);
  assert.equal(fs.existsSync(dir), false);
});
