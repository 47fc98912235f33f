import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LoginThrottle, type ThrottleRules } from '../../api/login-throttle.js';

const rules: ThrottleRules = {
  accountFreeFailures: 5,
  accountBaseWaitMs: 2_000,
  accountMaxWaitMs: 60_000,
  accountForgetMs: 3_600_000,
  addressBudget: 50,
  addressWindowMs: 900_000,
};

function clock() {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

test('an account waits after 5 failures, twice as long after each further one, up to the cap', () => {
  const c = clock();
  const th = new LoginThrottle(rules, c.now);
  for (let i = 0; i < 5; i++) {
    assert.equal(th.waitMs('ada@example.com', '10.0.0.1'), 0, `attempt ${i + 1} is free`);
    th.failed('ada@example.com', '10.0.0.1');
  }
  assert.equal(th.waitMs('ada@example.com', '10.0.0.1'), 2_000);
  assert.equal(th.waitMs('ADA@example.com', '10.0.0.9'), 2_000, 'per account: any address, any case');
  c.advance(2_000);
  assert.equal(th.waitMs('ada@example.com', '10.0.0.1'), 0, 'after the wait, one more try');
  th.failed('ada@example.com', '10.0.0.1');
  assert.equal(th.waitMs('ada@example.com', '10.0.0.1'), 4_000);
  for (let i = 0; i < 10; i++) th.failed('ada@example.com', '10.0.0.1');
  assert.equal(th.waitMs('ada@example.com', '10.0.0.1'), 60_000, 'capped');
});

test("another account is not held back by one account's failures, and a success clears them", () => {
  const c = clock();
  const th = new LoginThrottle(rules, c.now);
  for (let i = 0; i < 8; i++) th.failed('victim@example.com', '10.0.0.66');
  assert.ok(th.waitMs('victim@example.com', '10.0.0.1') > 0);
  assert.equal(th.waitMs('bob@example.com', '10.0.0.66'), 0, 'same address, other account');
  c.advance(60_000);
  th.succeeded('victim@example.com');
  assert.equal(th.waitMs('victim@example.com', '10.0.0.1'), 0);
  th.failed('victim@example.com', '10.0.0.1');
  assert.equal(th.waitMs('victim@example.com', '10.0.0.1'), 0, 'counting starts again');
});

test('an address has a budget of failures over all accounts, refilled after its window', () => {
  const c = clock();
  const th = new LoginThrottle(rules, c.now);
  for (let i = 0; i < 50; i++) th.failed(`user${i}@example.com`, '10.0.0.7');
  assert.equal(th.waitMs('new@example.com', '10.0.0.7'), 900_000);
  assert.equal(th.waitMs('new@example.com', '10.0.0.8'), 0, 'other addresses are not affected');
  c.advance(900_000);
  assert.equal(th.waitMs('new@example.com', '10.0.0.7'), 0);
});

test("an account's failures are forgotten an hour after the last one", () => {
  const c = clock();
  const th = new LoginThrottle(rules, c.now);
  for (let i = 0; i < 6; i++) th.failed('ada@example.com', '10.0.0.1');
  c.advance(3_600_001);
  assert.equal(th.waitMs('ada@example.com', '10.0.0.1'), 0);
  th.failed('ada@example.com', '10.0.0.1');
  assert.equal(th.waitMs('ada@example.com', '10.0.0.1'), 0, 'one fresh failure');
});
