import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cellName, parseMatrixArgs, selectedCells } from '../../bench/faults/matrix.js';
import { runMatrix } from '../../bench/faults/runner.js';
import { renderDetails, renderTable } from '../../bench/faults/table.js';
import { problems, verdict } from '../../bench/faults/verdict.js';
import { testEnv } from '../helpers/platform.js';

// A representative subset of `bench/faults/run.sh`: a crash of each kind of process (the worker,
// the database, the API, Temporal) at each kind of boundary and operation, and the gateway's restart.
const CELLS = [
  'deploy/worker/switched',
  'deploy/postgres/build',
  'deploy/gateway/started',
  'job/api/started',
  'notebook/temporal/started',
];

test(
  'fault matrix subset: every operation ends right, 0 orphans, 0 rows left running, 0 failed requests but for the gateway',
  { timeout: 1_500_000 },
  async () => {
    const cells = selectedCells(parseMatrixArgs(CELLS.flatMap((c) => ['--cell', c])));
    const results = await runMatrix(testEnv(), cells, {
      timeoutSeconds: 240,
      log: (l) => console.log(`# ${l}`),
    });
    console.log(renderTable(results).replace(/^/gm, '# '));
    assert.deepEqual(results.map(cellName), CELLS);
    for (const r of results) {
      assert.ok(r.firedAt, `${cellName(r)}: the fault was injected at its boundary (${r.note ?? ''})`);
      assert.equal(verdict(r), 'pass', `${cellName(r)}: ${problems(r).join('; ')}\n${renderDetails([r])}`);
      assert.ok(r.requests > 0, `${cellName(r)}: requests ran during the cell`);
    }
    const gateway = results.find((r) => r.fault === 'gateway')!;
    console.log(
      `# gateway restart: ${gateway.failedRequests} failed requests, a gap of ${gateway.gapSeconds} s`,
    );
  },
);
