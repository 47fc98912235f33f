import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { adminLogin, api, apiUrl, newUser, roro, tempConfigDir, unique } from '../helpers/platform.js';

async function userWithProject() {
  const user = await newUser();
  const project = unique('owned');
  assert.equal(
    (await api('POST', '/v1/projects', { token: user.token, body: { name: project } })).status,
    201,
  );
  return { ...user, project };
}

const remove = (token: string, email: string, query = '') =>
  api('DELETE', `/v1/users/${encodeURIComponent(email)}${query}`, { token });

test('users:remove refuses an owner of projects, yourself and unknown users, and only admins may', async () => {
  const admin = await adminLogin();
  const owner = await userWithProject();
  const refused = await remove(admin, owner.email);
  assert.equal(refused.status, 409);
  assert.match(refused.body.error.message, new RegExp(`owns project ${owner.project}`));
  assert.match(refused.body.error.hint, /--projects delete.*--projects transfer=EMAIL/);
  assert.equal((await api('GET', '/v1/auth/whoami', { token: owner.token })).status, 200, 'still there');

  const self = await remove(admin, process.env.RORO_ADMIN_EMAIL!);
  assert.equal(self.status, 409);
  assert.match(self.body.error.message, /cannot remove yourself/);
  assert.equal((await remove(admin, 'nobody-here@example.com')).status, 404);
  assert.equal((await remove(owner.token, owner.email)).status, 403);
  assert.equal((await remove(admin, owner.email, '?projects=maybe')).status, 400);
});

test('--projects transfer=EMAIL gives the projects to another user and revokes the removed user’s tokens', async () => {
  const admin = await adminLogin();
  const owner = await userWithProject();
  const heir = await newUser();
  const res = await remove(admin, owner.email, `?projects=transfer&to=${encodeURIComponent(heir.email)}`);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.deepEqual(res.body.removed.transferredProjects, [owner.project]);
  assert.ok(res.body.removed.revokedTokens >= 1);
  assert.equal((await api('GET', '/v1/auth/whoami', { token: owner.token })).status, 401);
  const p = await api('GET', `/v1/projects/${owner.project}`, { token: heir.token });
  assert.equal(p.status, 200);
  assert.equal(p.body.project.owner, heir.email);
  assert.equal(p.body.project.role, 'owner');
  const users = await api('GET', '/v1/users', { token: admin });
  assert.ok(!users.body.users.some((u: { email: string }) => u.email === owner.email));
});

test('roro users:remove --projects delete deletes the projects through project deletion', async () => {
  const owner = await userWithProject();
  const other = await newUser();
  const configDir = tempConfigDir();
  const as = (args: string[]) =>
    roro(args, { configDir, env: { RORO_URL: apiUrl() }, input: `${process.env.RORO_ADMIN_PASSWORD}\n` });
  assert.equal((await as(['login', '--email', process.env.RORO_ADMIN_EMAIL!, '--password-stdin'])).code, 0);
  const bad = await as(['users:remove', owner.email, '--projects', 'keep']);
  assert.equal(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, /--projects keep/);
  const done = await as(['users:remove', owner.email, '--projects', 'delete']);
  assert.equal(done.code, 0, done.stderr);
  assert.match(done.stderr, new RegExp(`Deleted projects ${owner.project}\\.`));
  assert.match(done.stderr, new RegExp(`Removed ${owner.email}; revoked 1 API token\\.`));
  // The name is free again: the project is gone.
  assert.equal(
    (await api('POST', '/v1/projects', { token: other.token, body: { name: owner.project } })).status,
    201,
  );
  fs.rmSync(configDir, { recursive: true, force: true });
});
