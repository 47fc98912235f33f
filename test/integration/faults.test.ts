import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cellName, parseMatrixArgs, selectedCells } from '../../bench/faults/matrix.js';
import { runMatrix } from '../../bench/faults/runner.js';
import { renderDetails, renderTable } from '../../bench/faults/table.js';
import { problems, verdict, type CellResult } from '../../bench/faults/verdict.js';
import { readState } from '../../platform/state.js';
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

// Killing dockerd stops every container on the engine: only where the test platform started the
// engine itself (as in CI) is it the test's to kill. Elsewhere bench/faults/isolated.sh runs them.
const ownsEngine =
  readState(testEnv().home)?.components.find((c) => c.name === 'docker')?.status !== 'external';

test(
  'fault matrix, dockerd killed while a deploy and a notebook wait for readiness: both end right, 0 orphans, 0 rows left running',
  {
    timeout: 900_000,
    skip: ownsEngine
      ? false
      : 'the Docker engine was not started by the test platform (bench/faults/isolated.sh)',
  },
  async () => {
    const results = await run(['deploy/dockerd/started', 'notebook/dockerd/started']);
    assertGoals(results);
    for (const r of results) {
      console.log(`# ${cellName(r)}: ${r.failedRequests} failed requests, a gap of ${r.gapSeconds} s`);
    }
  },
);
