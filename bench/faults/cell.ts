/**
 * One cell: under continuous requests to the project's service, start the operation, wait for its
 * boundary, inject the fault, let the platform come back, and measure what the operation and the
 * requests went through.
 */
import { STABLE_MS } from '../../platform/restart-backoff.js';
import { faultTarget, inject, waitAllUp, waitBack } from './inject.js';
import { startLoad } from './load.js';
import { BOUNDARY_ACTIVITIES, type Cell } from './matrix.js';
import { runningRows, settledOrphans, waitBoundary, waitClosed } from './observe.js';
import { EXPECTED, type Operations } from './operations.js';
import type { Session } from './session.js';
import { sleep } from './session.js';
import { gapSeconds, type CellResult } from './verdict.js';

/** The path and body the load sends: the hello fixture's function. */
export const loadTarget = (project: string) => ({ path: `/${project}/hello`, body: { name: 'faults' } });

/** After everything is back, requests go on until this many succeed in a row: the gap has closed. */
const OK_STREAK = 20;

async function untilServing(load: ReturnType<typeof startLoad>, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    const tail = load.samples.slice(-OK_STREAK);
    if (tail.length === OK_STREAK && tail.every((x) => x.ok)) return;
    await sleep(200);
  }
}

export async function runCell(
  s: Session,
  ops: Operations,
  cell: Cell,
  timeoutSeconds: number,
): Promise<CellResult> {
  await waitAllUp(s.env);
  await waitClosed(s, `deploy:${ops.project}`, Date.now() + timeoutSeconds * 1000);
  const pid = faultTarget(s.env, cell.fault);
  const target = loadTarget(ops.project);
  const load = startLoad(target.path, target.body);
  const notes: string[] = [];
  let firedAt: string | undefined;
  let firedTime = 0;
  let closedAt = 0;
  let backAt = 0;
  let final = 'not started';
  let back: Promise<void> = Promise.resolve();
  try {
    if (cell.boundary === 'build') await ops.dropImage(cell.operation);
    const run = await ops.start(cell.operation);
    const deadline = Date.now() + timeoutSeconds * 1000;
    const driving = ops.drive(run, deadline);
    firedAt = await waitBoundary(
      s,
      run.workflowId,
      BOUNDARY_ACTIVITIES[cell.operation][cell.boundary]!,
      deadline,
    );
    if (firedAt) {
      firedTime = Date.now();
      inject(cell.fault, pid);
      back = waitBack(s.env, cell.fault, pid).then(
        () => void (backAt = Date.now()),
        (err: Error) => void notes.push(err.message),
      );
    } else
      notes.push(
        `the workflow ended before ${cell.boundary} (${BOUNDARY_ACTIVITIES[cell.operation][cell.boundary]!.join(' or ')} never seen pending): no fault injected`,
      );
    await driving;
    const closed = await waitClosed(s, run.workflowId, (firedTime || Date.now()) + timeoutSeconds * 1000);
    closedAt = Date.now();
    await back;
    final = await ops.state(run);
    if (!closed)
      final = `stuck: workflow ${run.workflowId} still running after ${timeoutSeconds} s (row: ${final})`;
    await waitAllUp(s.env);
    await untilServing(load, Date.now() + 120_000);
  } catch (err) {
    notes.push((err as Error).message);
    final = final === 'not started' ? `error: ${(err as Error).message.slice(0, 120)}` : final;
  } finally {
    await load.stop();
  }
  // The next cell's fault must be a first crash, not the next one of a row the supervisor backs off from.
  if (backAt) await sleep(backAt + STABLE_MS - Date.now());
  const endedAfterSeconds = firedTime && closedAt ? Math.round((closedAt - firedTime) / 100) / 10 : undefined;
  const failed = load.samples.filter((x) => !x.ok).length;
  return {
    ...cell,
    firedAt,
    final,
    expected: EXPECTED[cell.operation],
    requests: load.samples.length,
    failedRequests: failed,
    gapSeconds: gapSeconds(load.samples),
    orphans: await settledOrphans(s, ops.project, ops.projectId),
    stuckRows: await runningRows(s, ops.projectId),
    endedAfterSeconds,
    note: notes.length ? notes.join('; ') : undefined,
    errors: [...load.errors.entries()].slice(0, 5).map(([e, n]) => `${n} × ${e}`),
  };
}
