import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { api, newUser } from '../helpers/platform.js';

/** A login as if from `address`: the API trusts X-Forwarded-For from loopback, as the gateway sets it. */
const loginFrom = (address: string, email: string, password: string) =>
  api('POST', '/v1/auth/login', { body: { email, password }, headers: { 'x-forwarded-for': address } });

test('repeated wrong passwords get 429 with Retry-After; other accounts still sign in; the wait ends', async () => {
  const victim = await newUser();
  const other = await newUser();
  const attacker = '198.51.100.23';
  for (let i = 0; i < 5; i++)
    assert.equal((await loginFrom(attacker, victim.email, 'wrong-password')).status, 401, `failure ${i + 1}`);
  const held = await loginFrom(attacker, victim.email, 'wrong-password');
  assert.equal(held.status, 429);
  assert.equal(held.body.error.code, 'too_many_attempts');
  const retryAfter = Number(held.headers.get('retry-after'));
  assert.ok(retryAfter >= 1 && retryAfter <= 2, `Retry-After ${retryAfter}`);

  // The account is held from every address, even with the right password, until the wait ends...
  assert.equal((await loginFrom('198.51.100.24', victim.email, victim.password)).status, 429);
  // ...but another account signs in, even from the attacker's address.
  assert.equal((await loginFrom(attacker, other.email, other.password)).status, 200);

  await sleep(retryAfter * 1000);
  assert.equal((await loginFrom('198.51.100.24', victim.email, victim.password)).status, 200);
  // The right password cleared the account's failures.
  assert.equal((await loginFrom(attacker, victim.email, 'wrong-password')).status, 401);
});
