/**
 * The fault matrix against the running platform of RORO_HOME (started by `roro server up`; its
 * database password there is all the access it needs). Prints one row per cell and exits 1 when a
 * cell misses a goal. Usually started by bench/faults/run.sh, which builds first.
 *
 *   node dist/bench/faults/run.js --skip dockerd
 *   node dist/bench/faults/run.js --cell deploy/worker/switched --cell job/postgres/started
 */
import { parsePlatformEnv } from '../../core/config.js';
import { MatrixUsageError, parseMatrixArgs, selectedCells, USAGE } from './matrix.js';
import { runMatrix } from './runner.js';
import { renderDetails, renderTable } from './table.js';
import { summarize } from './verdict.js';

async function main(): Promise<void> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    console.log(USAGE);
    return;
  }
  const args = parseMatrixArgs(process.argv.slice(2));
  const cells = selectedCells(args);
  if (!cells.length) throw new MatrixUsageError(`No cell left to run: loosen --only or --skip.\n${USAGE}`);
  const env = parsePlatformEnv();
  console.error(`-----> ${cells.length} cells against the platform in ${env.home}`);
  const t0 = Date.now();
  const results = await runMatrix(env, cells, {
    timeoutSeconds: args.timeoutSeconds,
    log: (line) => console.error(line),
  });
  if (args.json) console.log(JSON.stringify(results, null, 2));
  else {
    console.log(renderTable(results));
    const details = renderDetails(results);
    if (details) console.log(`\n${details}`);
    console.log(`\n${Math.round((Date.now() - t0) / 60_000)} min.`);
  }
  if (summarize(results).failed) process.exitCode = 1;
}

main().catch((err: Error) => {
  console.error(`Error: ${err.message}`);
  process.exitCode = err instanceof MatrixUsageError ? 2 : 1;
});
