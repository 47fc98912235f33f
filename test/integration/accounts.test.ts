import { test } from 'node:test';
import assert from 'node:assert/strict';
import { adminLogin, api, login, newUser } from '../helpers/platform.js';

test('wrong password is refused with 401 JSON that does not say which part was wrong', async () => {
  const user = await newUser();
  const res = await api('POST', '/v1/auth/login', {
    body: { email: user.email, password: 'not-the-password' },
  });
  assert.equal(res.status, 401);
  assert.match(res.headers.get('content-type') ?? '', /application\/json/);
  assert.equal(res.body.error.code, 'unauthorized');
  assert.equal(res.body.error.message, 'Wrong email or password.');
  const unknown = await api('POST', '/v1/auth/login', {
    body: { email: 'nobody@example.com', password: 'whatever1' },
  });
  assert.equal(unknown.status, 401);
  assert.equal(unknown.body.error.message, res.body.error.message);
});

test('missing, malformed and unknown tokens get 401 JSON', async () => {
  const missing = await api('GET', '/v1/projects');
  assert.equal(missing.status, 401);
  assert.match(missing.body.error.message, /Missing API token/);
  const malformed = await api('GET', '/v1/projects', { headers: { authorization: 'Basic abc' } });
  assert.equal(malformed.status, 401);
  assert.match(malformed.body.error.message, /Malformed/);
  const unknown = await api('GET', '/v1/projects', { token: 'roro_notarealtoken' });
  assert.equal(unknown.status, 401);
  assert.match(unknown.body.error.message, /Invalid or revoked/);
});

test('logout revokes the token', async () => {
  const user = await newUser();
  assert.equal((await api('GET', '/v1/auth/whoami', { token: user.token })).status, 200);
  assert.equal((await api('POST', '/v1/auth/logout', { token: user.token })).status, 200);
  const after = await api('GET', '/v1/auth/whoami', { token: user.token });
  assert.equal(after.status, 401);
  // A new login still works and gives a different token.
  const again = await login(user.email, user.password);
  assert.notEqual(again, user.token);
});

test('only admins list and add users; a generated password is returned once', async () => {
  const user = await newUser();
  const forbidden = await api('POST', '/v1/users', { token: user.token, body: { email: 'x@example.com' } });
  assert.equal(forbidden.status, 403);
  const admin = await adminLogin();
  const email = `gen-${Date.now()}@example.com`;
  const created = await api('POST', '/v1/users', { token: admin, body: { email } });
  assert.equal(created.status, 201);
  assert.equal(typeof created.body.generatedPassword, 'string');
  await login(email, created.body.generatedPassword);
  const dup = await api('POST', '/v1/users', { token: admin, body: { email: email.toUpperCase() } });
  assert.equal(dup.status, 409);
  const bad = await api('POST', '/v1/users', { token: admin, body: { email: 'not-an-email' } });
  assert.equal(bad.status, 400);
  const short = await api('POST', '/v1/users', {
    token: admin,
    body: { email: `s${email}`, password: 'short' },
  });
  assert.equal(short.status, 400);
  assert.match(short.body.error.message, /at least 8 characters/);
  const list = await api('GET', '/v1/users', { token: admin });
  assert.ok(list.body.users.some((u: { email: string }) => u.email === email));
  assert.ok(
    list.body.users.every((u: Record<string, unknown>) => !('password_hash' in u) && !('passwordHash' in u)),
  );
});
