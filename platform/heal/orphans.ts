import type { Pool } from 'pg';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { ContainerDriver } from '../../containers/driver.js';
import type { Gateway } from '../../gateway/gateway.js';
import { publishRoutes } from '../../activities/routes.js';
import { markDeployFailed } from '../../domain/deploy-outcome.js';
import { describeProjectServing } from '../../activities/serving-state.js';
import { notebookService } from '../../core/notebook-names.js';
import { removeUpload } from '../../core/release-code.js';
import { withTransaction } from '../../db/transaction.js';
import { pause } from '../../core/wait.js';

/** An operation row that says `running` (or `starting`); the sweep asks Temporal whether its workflow still runs. */
export interface OpenOperation {
  kind: 'deploy' | 'job' | 'notebook';
  id: string;
  projectId: string;
  project: string;
  workflowId: string;
  /** The deploy's own run; null for jobs and notebooks, whose workflow ids are their own. */
  runId: string | null;
  ageMs: number;
}

/** What Temporal says of the workflow: its status (RUNNING, COMPLETED, TERMINATED, ...) or that it has none. */
export type WorkflowLook = { found: true; status: string } | { found: false };

/**
 * Before this age a row may be one whose workflow the API is still starting (the row is written
 * first), or whose run id is not recorded yet: deploy:<project> then still shows the previous run.
 */
export const START_GRACE_MS = 60_000;
const SWEEP_EVERY_MS = 10_000;

/** Pure: why the operation is over although its row says running, or undefined while it may still run. */
export function orphanReason(op: OpenOperation, look: WorkflowLook): string | undefined {
  if (look.found && look.status === 'RUNNING') return undefined;
  const young = op.ageMs < START_GRACE_MS;
  if (!look.found) {
    return young ? undefined : 'The workflow ended without recording its outcome (it no longer exists).';
  }
  // deploy:<project> is reused: without its own run id, a young deploy may be looking at the previous one's.
  if (young && op.kind === 'deploy' && op.runId === null) return undefined;
  const how = look.status.toLowerCase().replace(/_/g, ' ');
  return `The workflow ended without recording its outcome (${how}).`;
}

export interface OrphanSweepDeps {
  db: Pool;
  temporal: Client;
  driver: ContainerDriver;
  gateway: Gateway;
  home: string;
  log: (line: string) => void;
}

async function openOperations(db: Pool): Promise<OpenOperation[]> {
  const res = await db.query<Omit<OpenOperation, 'ageMs'> & { age_ms: string }>(
    `SELECT 'deploy' AS kind, o.id, p.id::text AS "projectId", p.name AS project, o.workflow_id AS "workflowId",
            o.run_id AS "runId", extract(epoch FROM now() - o.created_at) * 1000 AS age_ms
       FROM deploys o JOIN projects p ON p.id = o.project_id WHERE o.status = 'running'
     UNION ALL
     SELECT 'job', o.id, p.id::text, p.name, o.workflow_id, NULL, extract(epoch FROM now() - o.created_at) * 1000
       FROM jobs o JOIN projects p ON p.id = o.project_id WHERE o.status = 'running'
     UNION ALL
     SELECT 'notebook', o.id, p.id::text, p.name, o.workflow_id, NULL, extract(epoch FROM now() - o.created_at) * 1000
       FROM notebooks o JOIN projects p ON p.id = o.project_id WHERE o.status IN ('starting', 'running')`,
  );
  return res.rows.map((r) => ({ ...r, ageMs: Number(r.age_ms) }));
}

async function lookUp(temporal: Client, op: OpenOperation): Promise<WorkflowLook> {
  try {
    const d = await temporal.workflow.getHandle(op.workflowId, op.runId ?? undefined).describe();
    return { found: true, status: d.status.name };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { found: false };
    throw err;
  }
}

/** Ends a deploy no workflow will end: its unrouted containers go, and the message says what serves. */
async function closeDeploy(deps: OrphanSweepDeps, op: OpenOperation, reason: string): Promise<void> {
  const routed = await deps.db.query<{ service: string }>(
    'SELECT service FROM routes WHERE project_id = $1 AND deploy_id = $2',
    [op.projectId, op.id],
  );
  const keep = new Set(routed.rows.map((r) => r.service));
  const mine = await deps.driver.list({ 'roro.deploy': op.id, 'roro.kind': 'service' });
  const unrouted = mine.filter((c) => !keep.has(c.labels['roro.service'] ?? ''));
  await Promise.all(unrouted.map((c) => deps.driver.remove(c.id)));
  const removed = unrouted.length ? ` Removed ${unrouted.length} container(s) it had started.` : '';
  const serving = await describeProjectServing(
    deps,
    { id: op.projectId, name: op.project },
    { deployId: op.id, release: null, switched: true },
  );
  await withTransaction(deps.db, (client) =>
    markDeployFailed(client, op.id, `${reason}${removed} ${serving}`),
  );
  await removeUpload(deps.home, op.id);
}

async function closeJob(deps: OrphanSweepDeps, op: OpenOperation, reason: string): Promise<void> {
  const left = await deps.driver.list({ 'roro.job': op.id, 'roro.project': op.project });
  await Promise.all(left.map((c) => deps.driver.remove(c.id)));
  await deps.db.query(
    `UPDATE jobs SET status = 'failed', error = $2, finished_at = now() WHERE id = $1 AND status = 'running'`,
    [op.id, reason],
  );
}

async function closeNotebook(deps: OrphanSweepDeps, op: OpenOperation, reason: string): Promise<void> {
  const route = await deps.db.query('DELETE FROM routes WHERE project_id = $1 AND service = $2', [
    op.projectId,
    notebookService(op.id),
  ]);
  if (route.rowCount) await publishRoutes(deps.db, deps.gateway);
  const left = await deps.driver.list({ 'roro.notebook': op.id, 'roro.project': op.project });
  await Promise.all(left.map((c) => deps.driver.remove(c.id)));
  await deps.db.query(
    `UPDATE notebooks SET status = 'failed', error = $2, finished_at = now(), token_sealed = NULL
     WHERE id = $1 AND status IN ('starting', 'running')`,
    [op.id, reason],
  );
}

const OPEN_STATUS: Record<OpenOperation['kind'], string> = {
  deploy: `SELECT 1 FROM deploys WHERE id = $1 AND status = 'running'`,
  job: `SELECT 1 FROM jobs WHERE id = $1 AND status = 'running'`,
  notebook: `SELECT 1 FROM notebooks WHERE id = $1 AND status IN ('starting', 'running')`,
};

/** Read again after asking Temporal: a workflow that ended meanwhile has closed its row itself. */
async function stillOpen(db: Pool, op: OpenOperation): Promise<boolean> {
  return Boolean((await db.query(OPEN_STATUS[op.kind], [op.id])).rowCount);
}

/**
 * One pass: every deploy, job and notebook whose row says running but whose workflow has ended
 * (terminated, timed out, or gone) is closed as failed with that reason, and what it left running
 * goes. Returns how many it closed.
 */
export async function sweepOrphanedOperations(deps: OrphanSweepDeps): Promise<number> {
  let closed = 0;
  for (const op of await openOperations(deps.db)) {
    const reason = orphanReason(op, await lookUp(deps.temporal, op));
    if (!reason || !(await stillOpen(deps.db, op))) continue;
    if (op.kind === 'deploy') await closeDeploy(deps, op, reason);
    else if (op.kind === 'job') await closeJob(deps, op, reason);
    else await closeNotebook(deps, op, reason);
    deps.log(`${op.project}: ${op.kind} ${op.id} closed as failed: ${reason}`);
    closed++;
  }
  return closed;
}

/** Sweeps every few seconds until the signal aborts; an unreachable database or Temporal waits for the next pass. */
export async function runOrphanSweeps(
  deps: OrphanSweepDeps,
  signal: AbortSignal,
  everyMs = SWEEP_EVERY_MS,
): Promise<void> {
  let lastFailure: string | undefined;
  while (!signal.aborted) {
    try {
      await sweepOrphanedOperations(deps);
      lastFailure = undefined;
    } catch (err) {
      const message = (err as Error).message;
      if (message !== lastFailure) deps.log(`operation sweep failed: ${message}`);
      lastFailure = message;
    }
    await pause(everyMs, signal);
  }
}
