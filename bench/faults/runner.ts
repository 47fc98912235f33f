/**
 * Runs cells of the fault matrix against the platform of RORO_HOME on one throw-away project,
 * deployed twice first so a rollback has a release to go back to; the project and the user are
 * removed at the end.
 */
import crypto from 'node:crypto';
import type { PlatformEnv } from '../../core/config.js';
import { runCell } from './cell.js';
import { cellName, type Cell } from './matrix.js';
import { waitClosed } from './observe.js';
import { Operations } from './operations.js';
import { Session } from './session.js';
import type { CellResult } from './verdict.js';

const ATTEMPTS = 3;

export async function runMatrix(
  env: PlatformEnv,
  cells: Cell[],
  opts: { timeoutSeconds: number; log?: (line: string) => void },
): Promise<CellResult[]> {
  const log = opts.log ?? (() => undefined);
  const s = await Session.open(env);
  const project = `faults-${crypto.randomBytes(3).toString('hex')}`;
  const results: CellResult[] = [];
  try {
    const created = await s.apiOk<{ project?: { id?: string } }>('POST', '/v1/projects', 201, {
      name: project,
    });
    const ops = new Operations(s, project, String(created.project?.id ?? (await projectId(s, project))));
    for (let i = 0; i < 2; i++) {
      log(`-----> Deploying ${project} (${i + 1}/2)`);
      const run = await ops.deploy();
      // The first build on a fresh engine installs the requirements: minutes on a busy machine.
      await waitClosed(s, run.workflowId, Date.now() + 900_000);
      const state = await ops.state(run);
      if (state !== 'succeeded') throw new Error(`the setup deploy of ${project} ended ${state}`);
    }
    for (const cell of cells) {
      log(`-----> ${cellName(cell)}`);
      // Some boundaries last a fraction of a second (a job's container removal): a cell that
      // missed its boundary runs again, up to ATTEMPTS times.
      let r = await runCell(s, ops, cell, opts.timeoutSeconds);
      for (let i = 1; i < ATTEMPTS && !r.firedAt; i++) {
        log(`       ${r.note ?? 'boundary not reached'}; again (${i + 1}/${ATTEMPTS})`);
        r = await runCell(s, ops, cell, opts.timeoutSeconds);
      }
      log(
        `       fired at ${r.firedAt ?? '-'}; ${r.final}; ${r.failedRequests}/${r.requests} requests failed (gap ${r.gapSeconds} s); ${r.orphans.length} orphans; ${r.stuckRows.length} rows running`,
      );
      results.push(r);
    }
  } finally {
    log(`-----> Removing ${project}`);
    await s.api('DELETE', `/v1/projects/${project}`).catch(() => undefined);
    await waitProjectGone(s, project);
    await s.close();
  }
  return results;
}

async function projectId(s: Session, name: string): Promise<string> {
  const r = await s.query<{ id: string }>('SELECT id::text FROM projects WHERE name = $1', [name]);
  if (!r.rows[0]) throw new Error(`project ${name} was not created`);
  return r.rows[0].id;
}

async function waitProjectGone(s: Session, name: string): Promise<void> {
  for (let i = 0; i < 240; i++) {
    const r = await s.query('SELECT 1 FROM projects WHERE name = $1', [name]).catch(() => undefined);
    if (r && !r.rowCount) return;
    await new Promise((res) => setTimeout(res, 500));
  }
}
