import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderDetails, renderTable } from '../../bench/faults/table.js';
import { gapSeconds, problems, summarize, verdict, type CellResult } from '../../bench/faults/verdict.js';

const base: CellResult = {
  operation: 'deploy',
  fault: 'worker',
  boundary: 'switched',
  firedAt: 'retireInstances',
  final: 'succeeded',
  expected: 'succeeded',
  requests: 1000,
  failedRequests: 0,
  gapSeconds: 0,
  orphans: [],
  stuckRows: [],
  errors: [],
};

test('the gap runs from the last success before failures to the first success after them', () => {
  const ok = (at: number) => ({ at, ok: true });
  const ko = (at: number) => ({ at, ok: false });
  assert.equal(gapSeconds([ok(0), ok(100), ok(200)]), 0);
  assert.equal(gapSeconds([ok(1000), ko(1500), ko(2000), ok(3400), ok(3500)]), 2.4);
  // Two outages: the longer one counts; samples may arrive out of order from two connections.
  assert.equal(gapSeconds([ok(0), ko(100), ok(600), ko(5000), ok(4000), ok(5300)]), 1.3);
  // Failing to the end: up to the last sample.
  assert.equal(gapSeconds([ok(0), ko(500), ko(2000)]), 2);
  assert.equal(gapSeconds([]), 0);
});

test('a cell passes when the operation ended right, with no orphans, no running rows and no failed request', () => {
  assert.equal(verdict(base), 'pass');
  assert.deepEqual(problems({ ...base, final: 'failed: boom' }), ['ended failed: boom, expected succeeded']);
  assert.equal(verdict({ ...base, orphans: ['abc (running) job j1 whose row has ended'] }), 'FAIL');
  assert.equal(verdict({ ...base, stuckRows: ['job j1'] }), 'FAIL');
  assert.deepEqual(problems({ ...base, failedRequests: 3 }), ['3 failed request(s) to the serving release']);
});

test("failed requests during the gateway's or dockerd's own restart are a gap to report, not a failure", () => {
  assert.equal(verdict({ ...base, fault: 'gateway', failedRequests: 40, gapSeconds: 1.2 }), 'pass');
  assert.equal(verdict({ ...base, fault: 'dockerd', failedRequests: 400, gapSeconds: 9 }), 'pass');
  assert.equal(verdict({ ...base, fault: 'postgres', failedRequests: 1 }), 'FAIL');
});

test('a cell whose boundary never came is missed, whatever else it saw', () => {
  assert.equal(
    verdict({ ...base, firedAt: undefined, note: 'the workflow ended before switched' }),
    'missed',
  );
  const s = summarize([base, { ...base, firedAt: undefined }, { ...base, stuckRows: ['deploy d1'] }]);
  assert.deepEqual(s, { cells: 3, passed: 1, failed: 1, missed: 1 });
});

test('the table has one aligned row per cell, the reasons of a failure, and a summary', () => {
  const out = renderTable([
    base,
    {
      ...base,
      operation: 'job',
      fault: 'gateway',
      boundary: 'started',
      firedAt: 'waitJob',
      final: 'success',
      expected: 'success',
      failedRequests: 12,
      gapSeconds: 1.23,
    },
    { ...base, fault: 'postgres', final: 'failed: x|y', stuckRows: ['deploy d1'] },
  ]);
  const lines = out.split('\n');
  assert.match(
    lines[0]!,
    /^\| cell +\| fired at +\| final state +\| ended s \| failed req \| gap s \| orphans \| rows running \| verdict/,
  );
  assert.equal(new Set(lines.slice(0, 5).map((l) => l.length)).size, 1, 'aligned columns');
  assert.match(lines[3]!, /job\/gateway\/started .*\| 12\/1000 +\| 1\.2 +\|.*\| pass/);
  assert.match(
    lines[4]!,
    /failed: x\\\|y .*FAIL: ended failed: x\\\|y, expected succeeded; 1 row\(s\) left running/,
  );
  assert.equal(lines.at(-1), '3 cells: 2 pass, 1 fail, 0 missed (boundary not reached).');
  assert.match(
    renderDetails([base, { ...base, stuckRows: ['deploy d1'] }]),
    /^deploy\/worker\/switched:\n {2}running row: deploy d1$/,
  );
});
