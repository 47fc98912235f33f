import { ApplicationFailure } from '@temporalio/activity';
import type { Pool } from 'pg';
import type { LogLine } from '../containers/driver.js';
import { fixedNanos, sinceParam } from '../containers/logs.js';

/** Per-job log cap: beyond it lines are counted, not stored, and one marker says so. */
const JOB_LOG_MAX_LINES = 50_000;
const JOB_LOG_MAX_BYTES = 5 * 1024 * 1024;
const MAX_LINE_CHARS = 16_384;
const TRUNCATED = '[roro] log truncated';
const RECENT_KEYS = 5000;
const REATTACH_OVERLAP_S = 2;

/**
 * The job log store: keeps a job's output line by line in PostgreSQL (job_logs), so `roro logs`
 * shows all of it after the container is gone. Stores in batches, under the cap, resuming after
 * what an earlier attempt stored.
 */
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

/** Once the job has ended, the truncation marker (if any) says how many lines were dropped in all. */
export async function settleTruncationNote(db: Pool, jobId: string): Promise<void> {
  await db.query(
    `UPDATE job_logs l SET line = $2 || ': ' || j.log_dropped || ' lines dropped (limit ' || $3 || ' lines / ' || $4 || ' MB per job)'
     FROM jobs j WHERE j.id = $1 AND l.job_id = $1 AND l.stream = 'roro' AND l.line LIKE $5`,
    [jobId, TRUNCATED, JOB_LOG_MAX_LINES, JOB_LOG_MAX_BYTES / 1024 / 1024, `${TRUNCATED}%`],
  );
}
