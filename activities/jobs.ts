import { ApplicationFailure, Context, log } from '@temporalio/activity';
import { fixedNanos } from '../containers/logs.js';
import type { ActivityDeps } from './deps.js';
import type { ContainerDriver } from '../containers/driver.js';
import { inspectOrGone } from '../containers/inspect-or-gone.js';
import { NotFoundError } from '../core/errors.js';
import { latestRelease, noReleaseYet } from '../db/releases.js';
import { startProjectContainer } from '../domain/project-container.js';
import { containerLimits } from './container-limits.js';
import { userFailure } from './deploys.js';
import { JobLogSink, settleTruncationNote } from './job-log-store.js';
import { setTimeout as sleep } from 'node:timers/promises';

/** SIGTERM, then SIGKILL after this many seconds (`roro stop`, timeouts, cancel_previous). */
export const JOB_STOP_GRACE_SECONDS = 10;

export interface JobRef {
  jobId: string;
  project: string;
  /** Workflow attempt: a retried task run gets a fresh container. */
  attempt: number;
}

export interface WaitResult {
  exitCode?: number;
  oomKilled?: boolean;
  timedOut?: boolean;
  /** Why the job ended without an exit code (its container vanished). */
  error?: string;
}

export function jobContainerName(ref: JobRef): string {
  return `roro-${ref.project}-job-${ref.jobId}${ref.attempt > 1 ? `-a${ref.attempt}` : ''}`;
}

const goneResult = (name: string): WaitResult => ({
  error: `The job's container ${name} disappeared before the job ended (was it removed outside roro?).`,
});

export function createJobActivities(deps: ActivityDeps & { driver: ContainerDriver }) {
  const { driver, db } = deps;

  /** Copies the container's output into the sink until it ends, the stream breaks, or the activity is cancelled. */
  async function copyLogs(
    name: string,
    sink: JobLogSink,
    follow: boolean,
    signal?: AbortSignal,
    since = sink.since(),
  ): Promise<void> {
    try {
      for await (const l of driver.logs(name, { follow, timestamps: true, since, signal })) sink.push(l);
    } catch (err) {
      const code = (err as { statusCode?: number }).statusCode;
      if (code !== 404 && !(err instanceof NotFoundError)) throw err;
    }
    await sink.flush();
  }

  return {
    /** Creates the job's row (a scheduled run has none yet) or marks a retried attempt as running again. */
    async registerJob(
      input: JobRef & {
        projectId: string;
        workflowId: string;
        command: string[];
        size?: string;
        task?: string;
      },
    ): Promise<void> {
      const res = await db.query(
        `INSERT INTO jobs (id, project_id, workflow_id, task, command, size, attempt)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (id) DO UPDATE SET attempt = EXCLUDED.attempt, status = 'running', exit_code = NULL, error = NULL,
           finished_at = NULL, started_at = NULL
         WHERE jobs.attempt < EXCLUDED.attempt
         RETURNING xmax <> 0 AS retried`,
        [
          input.jobId,
          input.projectId,
          input.workflowId,
          input.task ?? null,
          input.command,
          (input.size ?? 'S1').toUpperCase(),
          input.attempt,
        ],
      );
      if (res.rows[0]?.retried) {
        const sink = await JobLogSink.open(db, input.jobId);
        sink.note(fixedNanos(new Date().toISOString()), `[roro] attempt ${input.attempt}`);
        await sink.close();
      }
    },

    /** Idempotent by container name: a retry after a crash adopts the container it already started. */
    async startJobContainer(ref: JobRef): Promise<{ name: string }> {
      const name = jobContainerName(ref);
      if (await inspectOrGone(driver, name)) return { name };
      const job = (
        await db.query('SELECT project_id, command, size, task FROM jobs WHERE id = $1', [ref.jobId])
      ).rows[0];
      if (!job) throw ApplicationFailure.nonRetryable(`Job ${ref.jobId} has no record.`, 'not_found');
      const projectId = String(job.project_id);
      const release = (await latestRelease(db, projectId)) ?? userFailure(noReleaseYet());
      const limits = containerLimits(job.size);
      await startProjectContainer(deps, {
        kind: 'job',
        project: { id: projectId, name: ref.project },
        name,
        image: release.image,
        cmd: job.command,
        platformEnv: {
          RORO_PROJECT: ref.project,
          RORO_JOB_ID: ref.jobId,
          ...(job.task ? { RORO_TASK: job.task } : {}),
          RORO_RELEASE: String(release.version),
        },
        labels: { 'roro.job': ref.jobId },
        workdir: '/app',
        limits,
      });
      log.info('job container started', { project: ref.project, jobId: ref.jobId, container: name });
      await db.query('UPDATE jobs SET started_at = now(), image = $2, release_version = $3 WHERE id = $1', [
        ref.jobId,
        release.image,
        release.version,
      ]);
      return { name };
    },

    /**
     * Follows the job's output into Postgres until its container exits. Heartbeats (as every activity), so a restarted
     * worker retries it: the retry re-attaches after the last stored line, or finds the exit code.
     */
    async waitJob(input: JobRef & { timeoutSeconds?: number }): Promise<WaitResult> {
      const ctx = Context.current();
      const name = jobContainerName(input);
      const sink = await JobLogSink.open(db, input.jobId);
      let timer: NodeJS.Timeout | undefined;
      let timedOut = false;
      try {
        for (let round = 0; round < 10_000; round++) {
          const st = await inspectOrGone(driver, name);
          if (!st) return goneResult(name);
          if (timer === undefined && input.timeoutSeconds && st.startedAt) {
            // The deadline counts from the container's start, so it survives a worker restart.
            const left = Date.parse(st.startedAt) + input.timeoutSeconds * 1000 - Date.now();
            timer = setTimeout(
              () => {
                timedOut = true;
                void driver.stop(name, JOB_STOP_GRACE_SECONDS).catch(() => undefined);
              },
              Math.max(0, left),
            );
          }
          await copyLogs(
            name,
            sink,
            st.state === 'running' || st.state === 'created',
            ctx.cancellationSignal,
          );
          if (ctx.cancellationSignal.aborted) await ctx.cancelled;
          const after = await inspectOrGone(driver, name);
          if (!after) return goneResult(name);
          if (after.state === 'exited' || after.state === 'dead') {
            // The engine can end a follow before it has sent the last lines of an exiting
            // container (seen under load with a burst of 52,000 lines): read what came after.
            await copyLogs(name, sink, false, undefined, sink.sinceLast());
            return { exitCode: after.exitCode ?? -1, oomKilled: after.oomKilled, timedOut };
          }
          await sleep(500);
        }
        throw new Error(`gave up following ${name}`);
      } finally {
        clearTimeout(timer);
        await sink.close();
      }
    },

    /** SIGTERM, SIGKILL after the grace period, then stores the last lines. */
    async stopJobContainer(ref: JobRef): Promise<void> {
      const name = jobContainerName(ref);
      await driver.stop(name, JOB_STOP_GRACE_SECONDS);
      if (!(await inspectOrGone(driver, name))) return;
      const sink = await JobLogSink.open(db, ref.jobId);
      try {
        await copyLogs(name, sink, false);
      } finally {
        await sink.close();
      }
    },

    /** Records the attempt's outcome once: a retried call finds the job ended and changes nothing. */
    async finishJob(
      input: JobRef & { status: 'success' | 'failed' | 'cancelled'; exitCode?: number; error?: string },
    ): Promise<void> {
      await db.query(
        `UPDATE jobs SET status = $2, exit_code = $3, error = $4, finished_at = now()
         WHERE id = $1 AND attempt = $5 AND status = 'running'`,
        [input.jobId, input.status, input.exitCode ?? null, input.error ?? null, input.attempt],
      );
      await settleTruncationNote(db, input.jobId);
    },

    async removeJobContainer(ref: JobRef): Promise<void> {
      await driver.remove(jobContainerName(ref));
    },
  };
}
