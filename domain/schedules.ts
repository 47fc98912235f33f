import crypto from 'node:crypto';
import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleOptions,
} from '@temporalio/client';
import type { Pool } from 'pg';
import type { PlatformEnv } from '../core/config.js';
import type { OverlapPolicy, TaskSpec } from '../core/roro-yml.js';
import { toTemporalSpec } from '../core/schedule.js';
import { workflowIds } from '../temporal/ids.js';
import { KIND_ATTR, PROJECT_ATTR } from '../temporal/search-attributes.js';
import type { RunJobInput } from '../workflows/run-job-input.js';

/** roro.yml `overlap:` → what the scheduler does when a run is still going at the next fire time. */
const OVERLAP_TO_TEMPORAL: Record<OverlapPolicy, ScheduleOverlapPolicy> = {
  skip: ScheduleOverlapPolicy.SKIP,
  buffer_one: ScheduleOverlapPolicy.BUFFER_ONE,
  cancel_previous: ScheduleOverlapPolicy.CANCEL_OTHER,
  allow_all: ScheduleOverlapPolicy.ALLOW_ALL,
};

/** Set explicitly: the documented default is inconsistent. A fire time missed by more is skipped. */
export const TASK_CATCHUP_WINDOW = '1 minute';

export interface SyncSchedulesInput {
  projectId: string;
  project: string;
  tasks: TaskSpec[];
}

export interface SyncSchedulesResult {
  created: string[];
  updated: string[];
  deleted: string[];
  unchanged: string[];
}

/** What a task's memo keeps for `roro tasks`; the hash says whether a sync must update the schedule. */
interface TaskMemo {
  task: TaskSpec;
  hash: string;
}

/** The full schedule for one task; pure, so the mapping is unit-tested. */
export function taskScheduleOptions(
  env: Pick<PlatformEnv, 'taskQueue'>,
  input: Omit<SyncSchedulesInput, 'tasks'>,
  task: TaskSpec,
): ScheduleOptions {
  const id = workflowIds.task(input.project, task.name);
  const args: RunJobInput = {
    projectId: input.projectId,
    project: input.project,
    command: ['/bin/sh', '-c', task.command],
    task: task.name,
    ...(task.size ? { size: task.size } : {}),
    ...(task.timeoutSeconds ? { timeoutSeconds: task.timeoutSeconds } : {}),
  };
  const spec = toTemporalSpec(task.schedule);
  const overlap = OVERLAP_TO_TEMPORAL[task.overlap];
  const hash = crypto
    .createHash('sha256')
    .update(JSON.stringify({ args, spec, overlap, retries: task.retries, queue: env.taskQueue, v: 1 }))
    .digest('hex')
    .slice(0, 16);
  const memo: TaskMemo = { task, hash };
  return {
    scheduleId: id,
    spec,
    action: {
      type: 'startWorkflow',
      workflowType: 'runJob',
      taskQueue: env.taskQueue,
      // The server appends the fire time, so every run has its own workflow id.
      workflowId: id,
      args: [args],
      retry: { maximumAttempts: task.retries + 1, initialInterval: '10 seconds' },
      memo: { roro: memo },
      typedSearchAttributes: [
        { key: PROJECT_ATTR, value: input.project },
        { key: KIND_ATTR, value: 'job' },
      ],
    },
    policies: { overlap, catchupWindow: TASK_CATCHUP_WINDOW },
  };
}

/** The memo a schedule was last written with, or undefined for one roro did not write. */
export function memoOf(action: { memo?: Record<string, unknown> } | undefined): TaskMemo | undefined {
  const m = action?.memo?.roro as TaskMemo | undefined;
  return m && typeof m.hash === 'string' ? m : undefined;
}

async function knownScheduleIds(client: Client, db: Pool, input: SyncSchedulesInput): Promise<Set<string>> {
  const prefix = workflowIds.task(input.project, '');
  const ids = new Set<string>();
  const rows = await db.query<{ schedule_id: string }>(
    'SELECT schedule_id FROM tasks WHERE project_id = $1',
    [input.projectId],
  );
  for (const r of rows.rows) ids.add(r.schedule_id);
  let seen = 0;
  // The server's list is eventually consistent; the tasks table covers schedules it does not show yet.
  for await (const s of client.schedule.list({ pageSize: 500 })) {
    if (s.scheduleId.startsWith(prefix)) ids.add(s.scheduleId);
    if (++seen > 20_000) break;
  }
  return ids;
}

/**
 * Makes the project's schedules match its tasks exactly: creates missing ones, updates changed ones
 * (keeping a pause the user set), deletes the rest. Idempotent, so a retried call converges.
 */
export async function syncProjectSchedules(
  client: Client,
  deps: { env: Pick<PlatformEnv, 'taskQueue'>; db: Pool },
  input: SyncSchedulesInput,
): Promise<SyncSchedulesResult> {
  const result: SyncSchedulesResult = { created: [], updated: [], deleted: [], unchanged: [] };
  const existing = await knownScheduleIds(client, deps.db, input);
  for (const task of input.tasks) {
    const opts = taskScheduleOptions(deps.env, input, task);
    const handle = client.schedule.getHandle(opts.scheduleId);
    let current;
    try {
      current = await handle.describe();
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
    }
    if (!current) {
      try {
        await client.schedule.create(opts);
        result.created.push(task.name);
      } catch (err) {
        if (!(err instanceof ScheduleAlreadyRunning)) throw err;
      }
    } else if (memoOf(current.action)?.hash === memoOf(opts.action)?.hash) {
      result.unchanged.push(task.name);
    } else {
      await handle.update((prev) => ({
        spec: opts.spec,
        action: opts.action,
        policies: opts.policies,
        state: { paused: prev.state.paused, note: prev.state.note },
      }));
      result.updated.push(task.name);
    }
    await deps.db.query(
      `INSERT INTO tasks (project_id, name, schedule_id, spec) VALUES ($1, $2, $3, $4)
       ON CONFLICT (project_id, name) DO UPDATE SET schedule_id = $3, spec = $4, updated_at = now()`,
      [input.projectId, task.name, opts.scheduleId, JSON.stringify(task)],
    );
    existing.delete(opts.scheduleId);
  }
  for (const id of existing) {
    try {
      await client.schedule.getHandle(id).delete();
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
    }
    result.deleted.push(id.slice(workflowIds.task(input.project, '').length));
  }
  const keep = input.tasks.map((t) => t.name);
  await deps.db.query('DELETE FROM tasks WHERE project_id = $1 AND NOT (name = ANY($2))', [
    input.projectId,
    keep,
  ]);
  return result;
}
