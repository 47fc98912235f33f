import { ApplicationFailure, Context } from '@temporalio/activity';
import { fixedNanos, sinceParam } from '../containers/logs.js';
import type { Pool } from 'pg';
import type { ActivityDeps } from './deps.js';
import type { ContainerDriver, LogLine } from '../containers/driver.js';
import { NotFoundError } from '../core/errors.js';
import { loadConfigEnv } from '../domain/config-vars.js';
import { bindPlatformAccess, platformAccess } from './platform-access.js';
import { projectNetwork } from './project-network.js';
import { containerLimits, inspectOrGone, latestRelease, projectVolumeMounts } from './project-containers.js';
import { setTimeout as sleep } from 'node:timers/promises';

/** Per-job log cap: beyond it lines are counted, not stored, and one marker says so. */
export const JOB_LOG_MAX_LINES = 50_000;
export const JOB_LOG_MAX_BYTES = 5 * 1024 * 1024;
const MAX_LINE_CHARS = 16_384;
/** SIGTERM, then SIGKILL after this many seconds (`roro stop`, timeouts, cancel_previous). */
export const JOB_STOP_GRACE_SECONDS = 10;
const TRUNCATED = '[roro] log truncated';

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

/**
 * The environment of a job's container: the project's config vars (`roro config:set`) first, so the
 * platform's own variables win. It goes straight to the container, never into workflow inputs or outputs.
 */
export async function jobEnv(
  deps: { db: Pool; home: string },
  ctx: { projectId: string; project: string; jobId: string; task?: string | null },
): Promise<Record<string, string>> {
  const config = await loadConfigEnv(deps.db, deps.home, ctx.projectId);
  return {
    ...config,
    RORO_PROJECT: ctx.project,
    RORO_JOB_ID: ctx.jobId,
    ...(ctx.task ? { RORO_TASK: ctx.task } : {}),
  };
}

const RECENT_KEYS = 5000;
const REATTACH_OVERLAP_S = 2;

/** Stores a job's lines in batches, under the cap, resuming after what an earlier attempt stored. */
export class JobLogSink {
  private pending: { seq: number; dts: string; stream: string; line: string }[] = [];
  /** Keys of recently stored lines: stdout and stderr reach the engine's log separately, so a line
   * may arrive after a later-stamped one; only a line already stored is a duplicate. */
  private recent = new Set<string>();
  private recentOrder: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  /** A store is chained and has not taken its lines yet. */
  private queued = false;

  private constructor(
    private readonly db: Pool,
    private readonly jobId: string,
    private seq: number,
    private lines: number,
    private bytes: number,
    private dropped: number,
    private lastDts: string | undefined,
  ) {}

  static async open(db: Pool, jobId: string): Promise<JobLogSink> {
    const res = await db.query(
      `SELECT j.log_lines, j.log_bytes, j.log_dropped,
              (SELECT max(seq) FROM job_logs WHERE job_id = $1) AS seq,
              (SELECT max(dts) FROM job_logs WHERE job_id = $1) AS dts
       FROM jobs j WHERE j.id = $1`,
      [jobId],
    );
    const r = res.rows[0];
    if (!r) throw ApplicationFailure.nonRetryable(`Job ${jobId} has no record.`, 'not_found');
    const sink = new JobLogSink(
      db,
      jobId,
      Number(r.seq ?? 0),
      r.log_lines,
      Number(r.log_bytes),
      r.log_dropped,
      r.dts ?? undefined,
    );
    if (r.dts) {
      const last = await db.query<{ dts: string; stream: string; line: string }>(
        'SELECT dts, stream, line FROM job_logs WHERE job_id = $1 ORDER BY seq DESC LIMIT $2',
        [jobId, RECENT_KEYS],
      );
      for (const row of last.rows.reverse()) sink.remember(row.dts, row.stream, row.line);
    }
    sink.timer = setInterval(() => void sink.flush().catch(() => undefined), 250);
    return sink;
  }

  /**
   * Where a re-attached follower should start reading; undefined means from the beginning. It starts
   * a little before the newest stored line, because a line of the other stream stamped just before it
   * may not have been delivered yet; the recent keys drop what is read twice.
   */
  since(): string | undefined {
    if (this.lastDts === undefined) return undefined;
    const [secs, nanos] = sinceParam(this.lastDts).split('.');
    return `${Math.max(0, Number(secs) - REATTACH_OVERLAP_S)}.${nanos}`;
  }

  /**
   * From the newest stored line on, inclusive: for a last read after the container exited, which
   * must find only lines the follower never delivered (they come after everything it did deliver).
   */
  sinceLast(): string | undefined {
    return this.lastDts === undefined ? undefined : sinceParam(this.lastDts);
  }

  remember(dts: string, stream: string, line: string): void {
    const key = `${dts}|${stream}|${line}`;
    this.recent.add(key);
    this.recentOrder.push(key);
    if (this.recentOrder.length > RECENT_KEYS) this.recent.delete(this.recentOrder.shift()!);
  }

  push(l: LogLine): void {
    const dts = fixedNanos(l.ts ?? new Date().toISOString());
    const line =
      l.line.length > MAX_LINE_CHARS ? `${l.line.slice(0, MAX_LINE_CHARS)} [roro] line cut` : l.line;
    // The engine's `since` is inclusive, and a re-attached follower sees the last lines again.
    if (this.recent.has(`${dts}|${l.stream}|${line}`)) return;
    this.remember(dts, l.stream, line);
    if (this.lastDts === undefined || dts > this.lastDts) this.lastDts = dts;
    const size = Buffer.byteLength(line);
    if (this.dropped > 0 || this.lines + 1 > JOB_LOG_MAX_LINES || this.bytes + size > JOB_LOG_MAX_BYTES) {
      if (this.dropped === 0)
        this.note(
          dts,
          `${TRUNCATED}: later lines are dropped (limit ${JOB_LOG_MAX_LINES} lines / ${JOB_LOG_MAX_BYTES / 1024 / 1024} MB per job)`,
        );
      this.dropped += 1;
      return;
    }
    this.lines += 1;
    this.bytes += size;
    this.pending.push({ seq: ++this.seq, dts, stream: l.stream, line });
    if (this.pending.length >= 500) void this.flush().catch(() => undefined);
  }

  /** A line from roro itself (stream `roro`), e.g. the truncation marker. */
  note(dts: string, line: string): void {
    this.pending.push({ seq: ++this.seq, dts, stream: 'roro', line });
  }

  flush(): Promise<void> {
    // A flush that fails (PostgreSQL restarting) puts its lines back for the next one and does not
    // stop the chain. Each flush takes the lines when its turn comes, so lines are stored in seq
    // order (a reader resuming after seq N misses none), and the insert skips seqs already stored.
    // One store waits at most: it takes every line pushed until it starts, however many calls asked.
    if (this.queued) return this.flushing;
    this.queued = true;
    this.flushing = this.flushing
      .catch(() => undefined)
      .then(() => {
        this.queued = false;
        return this.store();
      });
    return this.flushing;
  }

  private async store(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    const counters = [this.lines, this.bytes, this.dropped];
    try {
      await this.db.query(
        `WITH ins AS (
           INSERT INTO job_logs (job_id, seq, ts, dts, stream, line)
           SELECT $1, s, d::timestamptz, d, st, l FROM unnest($2::int[], $3::text[], $4::text[], $5::text[]) AS u(s, d, st, l)
           ON CONFLICT DO NOTHING RETURNING 1)
         UPDATE jobs SET log_lines = $6, log_bytes = $7, log_dropped = $8 WHERE id = $1`,
        [
          this.jobId,
          batch.map((b) => b.seq),
          batch.map((b) => b.dts),
          batch.map((b) => b.stream),
          batch.map((b) => b.line),
          ...counters,
        ],
      );
    } catch (err) {
      this.pending = [...batch, ...this.pending];
      throw err;
    }
    // Remember how far dropped lines went, so a re-attached follower does not count them twice.
    if (counters[2]! > 0 && this.lastDts) {
      await this.db.query(
        `UPDATE job_logs SET dts = $2 WHERE job_id = $1 AND stream = 'roro' AND line LIKE $3 AND dts < $2`,
        [this.jobId, this.lastDts, `${TRUNCATED}%`],
      );
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
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
      const release = await latestRelease(db, projectId);
      const limits = containerLimits(job.size);
      const volumes = await projectVolumeMounts(db, deps.env.home, projectId);
      // A fresh token per container, made here so it never passes through workflow history.
      const access = await platformAccess(deps, { projectId, project: ref.project, purpose: name });
      const started = await driver.run({
        image: release.image,
        name,
        cmd: job.command,
        env: {
          ...(await jobEnv(
            { db, home: deps.env.home },
            { projectId, project: ref.project, jobId: ref.jobId, task: job.task },
          )),
          ...access.env,
          RORO_RELEASE: String(release.version),
        },
        labels: {
          'roro.managed': 'true',
          'roro.kind': 'job',
          'roro.project': ref.project,
          'roro.job': ref.jobId,
          ...access.labels,
        },
        workdir: '/app',
        mounts: [...volumes, ...access.mounts],
        limits,
        network: projectNetwork(deps.env.home, { id: projectId, name: ref.project }),
      });
      await bindPlatformAccess(db, access, started.id);
      await db.query('UPDATE jobs SET started_at = now(), image = $2, release_version = $3 WHERE id = $1', [
        ref.jobId,
        release.image,
        release.version,
      ]);
      return { name };
    },

    /**
     * Follows the job's output into Postgres until its container exits. Heartbeats, so a restarted
     * worker retries it: the retry re-attaches after the last stored line, or finds the exit code.
     */
    async waitJob(input: JobRef & { timeoutSeconds?: number }): Promise<WaitResult> {
      const ctx = Context.current();
      const name = jobContainerName(input);
      const sink = await JobLogSink.open(db, input.jobId);
      const beat = setInterval(() => ctx.heartbeat(), 1000);
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
        clearInterval(beat);
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
      await db.query(
        `UPDATE job_logs l SET line = $2 || ': ' || j.log_dropped || ' lines dropped (limit ' || $3 || ' lines / ' || $4 || ' MB per job)'
         FROM jobs j WHERE j.id = $1 AND l.job_id = $1 AND l.stream = 'roro' AND l.line LIKE $5`,
        [input.jobId, TRUNCATED, JOB_LOG_MAX_LINES, JOB_LOG_MAX_BYTES / 1024 / 1024, `${TRUNCATED}%`],
      );
    },

    async removeJobContainer(ref: JobRef): Promise<void> {
      await driver.remove(jobContainerName(ref));
    },
  };
}
