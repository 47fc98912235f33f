import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import type { Pool } from 'pg';
import { runOrphanSweeps, type OrphanSweepDeps } from '../../platform/heal/orphans.js';
import { pause } from '../../core/wait.js';

// The healer process runs for weeks on one AbortSignal: a loop that adds an abort listener per
// pass and never removes it grows without end, and Node prints MaxListenersExceededWarning past ten.

test('the operation sweep loop adds no abort listener per pass', async () => {
  let sweeps = 0;
  const db = {
    query: async () => {
      sweeps++;
      return { rows: [], rowCount: 0 };
    },
  } as unknown as Pool;
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(w.name);
  process.on('warning', onWarning);
  const stop = new AbortController();
  const running = runOrphanSweeps({ db, log: () => {} } as unknown as OrphanSweepDeps, stop.signal, 1);
  try {
    for (let i = 0; i < 1000 && sweeps < 200; i++) await new Promise((r) => setTimeout(r, 5));
    assert.ok(sweeps >= 200, `${sweeps} sweeps ran`);
    assert.ok(
      getEventListeners(stop.signal, 'abort').length <= 1,
      `${getEventListeners(stop.signal, 'abort').length} abort listeners after ${sweeps} sweeps`,
    );
  } finally {
    stop.abort();
    await running;
    process.off('warning', onWarning);
  }
  assert.deepEqual(warnings, [], 'no MaxListenersExceededWarning');
  assert.equal(getEventListeners(stop.signal, 'abort').length, 0);
});

test('pause resolves on its timer or at abort, and leaves no listener either way', async () => {
  const stop = new AbortController();
  for (let i = 0; i < 50; i++) await pause(0, stop.signal);
  assert.equal(getEventListeners(stop.signal, 'abort').length, 0);
  const long = pause(60_000, stop.signal);
  assert.equal(getEventListeners(stop.signal, 'abort').length, 1);
  stop.abort();
  await long;
  assert.equal(getEventListeners(stop.signal, 'abort').length, 0);
  await pause(60_000, stop.signal);
});
