import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cellName, parseMatrixArgs, selectedCells } from '../../bench/faults/matrix.js';
import { runMatrix } from '../../bench/faults/runner.js';
import { renderDetails, renderTable } from '../../bench/faults/table.js';
import { problems, verdict, type CellResult } from '../../bench/faults/verdict.js';
import { testEnv } from '../helpers/platform.js';

async function run(names: string[]): Promise<CellResult[]> {
  const cells = selectedCells(parseMatrixArgs(names.flatMap((c) => ['--cell', c])));
  const results = await runMatrix(testEnv(), cells, {
    timeoutSeconds: 240,
    log: (l) => console.log(`# ${l}`),
  });
  console.log(renderTable(results).replace(/^/gm, '# '));
  assert.deepEqual(results.map(cellName), names);
  return results;
}

function assertGoals(results: CellResult[]): void {
  for (const r of results) {
    assert.ok(r.firedAt, `${cellName(r)}: the fault was injected at its boundary (${r.note ?? ''})`);
    assert.equal(verdict(r), 'pass', `${cellName(r)}: ${problems(r).join('; ')}\n${renderDetails([r])}`);
    assert.ok(r.requests > 0, `${cellName(r)}: requests ran during the cell`);
  }
}

// A representative subset of `bench/faults/run.sh`: a crash of each kind of process (the worker,
// the database, the API, Temporal) at each kind of boundary and operation, and the gateway's restart.
test(
  'fault matrix subset: every operation ends right, 0 orphans, 0 rows left running, 0 failed requests but for the gateway',
  { timeout: 1_500_000 },
  async () => {
    const results = await run([
      'deploy/worker/switched',
      'deploy/postgres/build',
      'deploy/gateway/started',
      'job/api/started',
      'scheduled/temporal/started',
    ]);
    assertGoals(results);
    const gateway = results.find((r) => r.fault === 'gateway')!;
    console.log(
      `# gateway restart: ${gateway.failedRequests} failed requests, a gap of ${gateway.gapSeconds} s`,
    );
  },
);

test(
  'fault matrix, a notebook start: 0 failed requests to the project service',
  { timeout: 600_000 },
  async () => assertGoals(await run(['notebook/temporal/started'])),
);
