import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from '../../core/wait.js';

test('waitFor resolves with the first answer that is not false or undefined', async () => {
  let calls = 0;
  const found = await waitFor(async () => (++calls < 3 ? undefined : { port: 8080 }), {
    timeoutMs: 5000,
    intervalMs: 1,
  });
  assert.deepEqual(found, { port: 8080 });
  assert.equal(calls, 3);
});

test('waitFor checks once even with no time, then throws its timeout error', async () => {
  let calls = 0;
  await assert.rejects(
    waitFor(async () => (calls++, false), { timeoutMs: -1, timeoutError: () => new Error('late') }),
    /^Error: late$/,
  );
  assert.equal(calls, 1);
  await assert.rejects(
    waitFor(async () => false, { timeoutMs: 0, intervalMs: 1 }),
    /not ready after 0 s/,
  );
});

test("waitFor ends at once on the check's own error or on a reason to give up", async () => {
  let calls = 0;
  await assert.rejects(
    waitFor(
      async () => {
        calls++;
        throw new Error('the container exited');
      },
      { timeoutMs: 5000, intervalMs: 1 },
    ),
    /the container exited/,
  );
  assert.equal(calls, 1);
  await assert.rejects(
    waitFor(async () => false, { timeoutMs: 5000, intervalMs: 1, abort: () => 'exited during start' }),
    /exited during start/,
  );
});
