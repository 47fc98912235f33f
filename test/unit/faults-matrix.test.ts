import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BOUNDARIES,
  BOUNDARY_ACTIVITIES,
  buildMatrix,
  cellName,
  FAULTS,
  MatrixUsageError,
  OPERATIONS,
  parseMatrixArgs,
  selectedCells,
} from '../../bench/faults/matrix.js';

test('the full matrix: every operation × fault × boundary', () => {
  const cells = selectedCells(parseMatrixArgs([]));
  assert.equal(cells.length, OPERATIONS.length * FAULTS.length * BOUNDARIES.length);
  assert.deepEqual(new Set(cells.map((c) => c.operation)), new Set(OPERATIONS));
  assert.equal(cellName(cells[0]!), 'deploy/worker/build');
  assert.equal(new Set(cells.map(cellName)).size, cells.length, 'no cell twice');
});

test('every boundary an operation has names the activities that mark it', () => {
  for (const op of OPERATIONS)
    for (const acts of Object.values(BOUNDARY_ACTIVITIES[op])) assert.ok(acts && acts.length > 0, op);
  assert.deepEqual(BOUNDARY_ACTIVITIES.deploy.switched, ['retireInstances']);
});

test('--skip dockerd leaves the dockerd cells out, and only them', () => {
  const all = selectedCells(parseMatrixArgs([]));
  const cells = selectedCells(parseMatrixArgs(['--skip', 'dockerd']));
  assert.ok(!cells.some((c) => c.fault === 'dockerd'));
  assert.equal(cells.length, all.length - all.filter((c) => c.fault === 'dockerd').length);
});

test('--only narrows each list it names; --skip applies after it', () => {
  const cells = selectedCells(parseMatrixArgs(['--only', 'deploy,worker,gateway', '--skip', 'build']));
  assert.deepEqual(cells.map(cellName), [
    'deploy/worker/started',
    'deploy/worker/switched',
    'deploy/gateway/started',
    'deploy/gateway/switched',
  ]);
});

test('--cell runs exactly the cells named; a cell the operation cannot have is refused', () => {
  const args = parseMatrixArgs(['--cell', 'deploy/worker/switched', '--cell', 'job/postgres/started']);
  assert.deepEqual(selectedCells(args).map(cellName), ['deploy/worker/switched', 'job/postgres/started']);
  assert.throws(() => parseMatrixArgs(['--cell', 'deploy/worker']), MatrixUsageError);
  assert.equal(
    selectedCells(parseMatrixArgs(['--cell', 'deploy/dockerd/build', '--skip', 'dockerd'])).length,
    0,
  );
});

test('unknown words and options are refused with the lists to pick from', () => {
  assert.throws(
    () => parseMatrixArgs(['--skip', 'dockr']),
    /dockr is not an operation, a fault or a boundary/,
  );
  assert.throws(() => parseMatrixArgs(['--fast']), /Unknown option --fast/);
  assert.throws(() => parseMatrixArgs(['--timeout', '2']), /--timeout must be whole seconds/);
  assert.throws(() => parseMatrixArgs(['--only']), /--only needs a value/);
  assert.equal(parseMatrixArgs(['--timeout', '60']).timeoutSeconds, 60);
});

test('buildMatrix keeps the canonical order whatever order the selection is in', () => {
  const cells = buildMatrix({
    operations: ['notebook', 'deploy'],
    faults: ['api'],
    boundaries: ['switched', 'build'],
  });
  assert.deepEqual(cells.map(cellName), [
    'deploy/api/build',
    'deploy/api/switched',
    'notebook/api/build',
    'notebook/api/switched',
  ]);
});
