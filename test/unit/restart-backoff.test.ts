import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crashesInARow, restartDelayMs, STABLE_MS } from '../../platform/restart-backoff.js';

test('crashes in a row double the wait up to 30 s', () => {
  assert.deepEqual(
    [1, 2, 3, 4, 5, 6, 7, 20].map(restartDelayMs),
    [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000],
  );
});

test('a component that ran for a while before it crashed starts a new row: 1 s, however many crashes before', () => {
  let n = 0;
  // Crash-looping: never up long.
  for (let i = 0; i < 8; i++) n = crashesInARow(n, i === 0 ? undefined : 300);
  assert.equal(restartDelayMs(n), 30_000);
  // Then up for longer than STABLE_MS, and killed: back after 1 s, not 30 s.
  n = crashesInARow(n, STABLE_MS + 1);
  assert.equal(n, 1);
  assert.equal(restartDelayMs(n), 1000);
  // Killed again 2 s after coming back: the row goes on.
  assert.equal(crashesInARow(n, 2000), 2);
});
