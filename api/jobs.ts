import crypto from 'node:crypto';
import type { Pool } from 'pg';
import { ScheduleNotFoundError, type Client } from '@temporalio/client';
import type { PlatformEnv } from '../core/config.js';
import { NotFoundError, ValidationError } from '../core/errors.js';
import { localHostCapacity, resolveSize } from '../core/sizes.js';
import { workflowIds } from '../temporal/ids.js';
import type { RunJobInput } from '../workflows/run-job.js';
import type { Project } from './projects.js';
import { cancelWorkflow, startWorkflowResource, type WorkflowDeps } from './workflow-resources.js';
import { projectQuotas } from './quotas.js';
import { quotaExceeded } from '../core/quotas.js';
import { withTransaction } from '../db/transaction.js';
import { parseRoroYml, type TaskSpec } from '../core/roro-yml.js';
import { describeSchedule } from '../core/schedule.js';
import type { ContainerDriver } from '../containers/driver.js';
import { fixedNanos, sinceParam } from '../containers/logs.js';
import { syncProjectSchedules } from '../domain/schedules.js';
import { latestRelease } from '../db/releases.js';

import type { Job, JobLogLine, TaskInfo } from '../core/api-types.js';

const MAX_ARGS = 1000;
const MAX_COMMAND_BYTES = 64 * 1024;

const newJobId = () => `j${Date.now().toString(36)}${crypto.randomBytes(2).toString('hex')}`;

const JOB_COLUMNS = `id, status, command, size, task, exit_code, error, attempt, release_version,
  created_at, started_at, finished_at, log_dropped, workflow_id`;

interface JobRow {
  id: string;
  status: Job['status'];
  command: string[];
  size: string;
  task: string | null;
  exit_code: number | null;
  error: string | null;
  attempt: number;
  release_version: number | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  log_dropped: number;
  workflow_id: string;
}

function toJob(r: JobRow): Job {
  const iso = (d: Date | null) => (d ? d.toISOString() : undefined);
  return {
    id: r.id,
    status: r.status,
    command: r.command,
    size: r.size,
    task: r.task ?? undefined,
    exitCode: r.exit_code ?? undefined,
    error: r.error ?? undefined,
    attempt: r.attempt,
    release: r.release_version ?? undefined,
    createdAt: r.created_at.toISOString(),
    startedAt: iso(r.started_at),
    finishedAt: iso(r.finished_at),
    logDropped: r.log_dropped,
  };
}

/** `command` is argv (strings), so options after the program belong to it and nothing is re-split. */
function checkCommand(raw: unknown): string[] {
  if (!Array.isArray(raw) || raw.length === 0 || !raw.every((a) => typeof a === 'string')) {
    throw new ValidationError(
      '"command" must be a non-empty list of strings (the program and its arguments).',
      {
        hint: 'Run e.g. `roro run python train.py`.',
      },
    );
  }
  const bytes = raw.reduce((n: number, a: string) => n + Buffer.byteLength(a), 0);
  if (raw.length > MAX_ARGS || bytes > MAX_COMMAND_BYTES || raw[0] === '') {
    throw new ValidationError(
      `The command is empty or too long (at most ${MAX_ARGS} arguments, ${MAX_COMMAND_BYTES / 1024} KiB).`,
      {
        hint: 'Put long inputs in a file on a volume and pass its path.',
      },
    );
  }
  return raw as string[];
}

/** Any constant: with the project id it orders concurrent job starts of one project. */
const JOB_QUOTA_LOCK = 7_400_003;

/** Records the job and starts job:<project>:<id>; answers at once, the workflow does the rest. */
export async function startJob(
  deps: WorkflowDeps,
  project: Project,
  userId: string,
  body: { command?: unknown; size?: unknown },
): Promise<Job> {
  const command = checkCommand(body.command);
  if (body.size !== undefined && typeof body.size !== 'string')
    throw new ValidationError('"size" must be a size name such as S1.');
  const size = resolveSize(body.size, localHostCapacity()).name;
  if (!(await latestRelease(deps.db, project.id))) {
    throw new ValidationError(
      `Project ${project.name} has no deployed code yet: a job runs the last deployed release.`,
      {
        code: 'no_release',
        hint: 'Deploy first with `roro deploy`, then run the job again.',
      },
    );
  }
  const id = newJobId();
  const input: RunJobInput = { projectId: project.id, project: project.name, jobId: id, command, size };
  // Counted and inserted under one per-project lock, so concurrent starts cannot pass the quota together.
  const record = (workflowId: string) =>
    withTransaction(deps.db, async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1, $2)', [JOB_QUOTA_LOCK, Number(project.id)]);
      const limit = (await projectQuotas(client, project.id)).runningJobs;
      const running = await client.query<{ n: string }>(
        `SELECT count(*) AS n FROM jobs WHERE project_id = $1 AND status = 'running'`,
        [project.id],
      );
      const n = Number(running.rows[0]!.n);
      if (n >= limit) throw quotaExceeded('runningJobs', limit, n + 1, project.name);
      await client.query(
        `INSERT INTO jobs (id, project_id, workflow_id, command, size, created_by) VALUES ($1, $2, $3, $4, $5, $6)`,
        [id, project.id, workflowId, command, size, userId],
      );
    });
  await startWorkflowResource(deps, { kind: 'job', id, project, input }, record);
  return getJob(deps.db, project.id, id);
}

export async function listJobs(db: Pool, projectId: string, all: boolean, limit = 200): Promise<Job[]> {
  const res = await db.query<JobRow>(
    `SELECT ${JOB_COLUMNS} FROM jobs WHERE project_id = $1 ${all ? '' : `AND status = 'running'`}
     ORDER BY created_at DESC LIMIT $2`,
    [projectId, Math.min(Math.max(1, limit), 1000)],
  );
  return res.rows.map(toJob);
}

async function jobRow(db: Pool, projectId: string, id: string) {
  const res = await db.query<JobRow>(`SELECT ${JOB_COLUMNS} FROM jobs WHERE project_id = $1 AND id = $2`, [
    projectId,
    id,
  ]);
  const row = res.rows[0];
  if (!row) throw new NotFoundError(`Job ${id} not found.`, 'Run `roro ps -a` to list jobs.');
  return row;
}

export async function getJob(db: Pool, projectId: string, id: string): Promise<Job> {
  return toJob(await jobRow(db, projectId, id));
}

/** Lines after `after` (a seq), oldest first, at most `limit`. */
export async function jobLogs(db: Pool, projectId: string, id: string, after: number, limit: number) {
  const job = await getJob(db, projectId, id);
  const res = await db.query<{ seq: number; ts: Date; stream: string; line: string }>(
    'SELECT seq, ts, stream, line FROM job_logs WHERE job_id = $1 AND seq > $2 ORDER BY seq LIMIT $3',
    [id, after, Math.min(Math.max(1, limit), 5000)],
  );
  const lines: JobLogLine[] = res.rows.map((r) => ({
    seq: r.seq,
    ts: r.ts.toISOString(),
    stream: r.stream,
    line: r.line,
  }));
  return { job, lines };
}

/** Cancels the job's workflow; its cleanup stops the container (SIGTERM, then SIGKILL) and records `cancelled`. */
export async function stopJob(
  deps: { db: Pool; temporal: Client },
  projectId: string,
  id: string,
): Promise<Job> {
  const row = await jobRow(deps.db, projectId, id);
  if (row.status === 'running') await cancelWorkflow(deps.temporal, row.workflow_id);
  return toJob(row);
}

// ---------- service logs ----------

/** The recent output of a service's current-release instances, merged by time. */
export async function serviceLogs(
  driver: ContainerDriver,
  db: Pool,
  project: Project,
  service: string,
  opts: { tail: number; since?: string },
): Promise<{ lines: (JobLogLine & { instance: string })[] }> {
  const svc = await db.query<{ release_version: number }>(
    'SELECT release_version FROM services WHERE project_id = $1 AND name = $2',
    [project.id, service],
  );
  const row = svc.rows[0];
  if (!row)
    throw new NotFoundError(
      `No job or service ${service} in ${project.name}.`,
      'Run `roro ps -a` to list jobs and services.',
    );
  const containers = await driver.list({
    'roro.project': project.name,
    'roro.service': service,
    'roro.kind': 'service',
  });
  const current = containers.filter((c) => c.labels['roro.release'] === String(row.release_version));
  const lines: (JobLogLine & { instance: string })[] = [];
  for (const c of current.length ? current : containers) {
    const since = opts.since ? sinceParam(fixedNanos(opts.since)) : undefined;
    for await (const l of driver.logs(c.id, { follow: false, timestamps: true, tail: opts.tail, since })) {
      lines.push({ seq: 0, ts: l.ts ?? '', stream: l.stream, line: l.line, instance: c.name });
    }
  }
  lines.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
  return { lines: lines.slice(-Math.max(1, opts.tail)) };
}

// ---------- tasks ----------

async function describeTask(
  temporal: Client,
  db: Pool,
  project: Project,
  name: string,
  spec: TaskSpec,
): Promise<TaskInfo> {
  const base = {
    name,
    command: spec.command,
    schedule: describeSchedule(spec.schedule),
    overlap: spec.overlap,
    size: spec.size,
  };
  let d;
  try {
    d = await temporal.schedule.getHandle(workflowIds.task(project.name, name)).describe();
  } catch (err) {
    if (err instanceof ScheduleNotFoundError)
      return { ...base, running: 0, paused: false, lastStatus: 'missing' };
    throw err;
  }
  const last = d.info.recentActions.at(-1);
  let lastJob: { id: string; status: string } | undefined;
  if (last) {
    const res = await db.query<{ id: string; status: string }>(
      'SELECT id, status FROM jobs WHERE workflow_id = $1 ORDER BY created_at DESC LIMIT 1',
      [last.action.workflow.workflowId],
    );
    lastJob = res.rows[0];
  }
  return {
    ...base,
    nextRun: d.info.nextActionTimes[0]?.toISOString(),
    lastRun: last?.takenAt.toISOString(),
    lastJob: lastJob?.id,
    lastStatus: last ? (lastJob?.status ?? 'starting') : undefined,
    running: d.info.runningActions.length,
    paused: d.state.paused,
  };
}

export async function listTasks(temporal: Client, db: Pool, project: Project): Promise<TaskInfo[]> {
  const rows = await db.query<{ name: string; spec: TaskSpec }>(
    'SELECT name, spec FROM tasks WHERE project_id = $1 ORDER BY name',
    [project.id],
  );
  return Promise.all(rows.rows.map((r) => describeTask(temporal, db, project, r.name, r.spec)));
}

/** pause | resume | run (trigger now, even while another run is going). */
export async function taskAction(
  temporal: Client,
  db: Pool,
  project: Project,
  name: string,
  action: string,
): Promise<TaskInfo> {
  const row = await db.query<{ spec: TaskSpec }>(
    'SELECT spec FROM tasks WHERE project_id = $1 AND name = $2',
    [project.id, name],
  );
  const spec = row.rows[0]?.spec;
  if (!spec)
    throw new NotFoundError(
      `Task ${name} not found in ${project.name}.`,
      'Run `roro tasks` to list tasks; tasks come from roro.yml on deploy.',
    );
  const handle = temporal.schedule.getHandle(workflowIds.task(project.name, name));
  if (action === 'pause') await handle.pause('Paused with roro tasks:pause');
  else if (action === 'resume') await handle.unpause('Resumed with roro tasks:resume');
  else if (action === 'run') await handle.trigger();
  else throw new NotFoundError(`No task action ${action}.`, 'Use pause, resume or run.');
  return describeTask(temporal, db, project, name, spec);
}

/** Re-syncs the schedules from the current release's roro.yml (what a deploy does in its tasks phase). */
export async function syncTasksFromRelease(
  deps: { env: PlatformEnv; db: Pool; temporal: Client },
  project: Project,
) {
  const yml = (await latestRelease(deps.db, project.id))?.roro_yml;
  const tasks = yml === undefined ? [] : parseRoroYml(yml, { project: project.name }).tasks;
  return syncProjectSchedules(deps.temporal, deps, { projectId: project.id, project: project.name, tasks });
}
