import { setTimeout as sleep } from 'node:timers/promises';
import type { Job, JobLogLine } from '../core/api-types.js';
import { withRetry, type RetryOptions } from './retry.js';

/** One page of a job's output after line `after`, with the job as read before the lines. */
export type LogPage = (after: number, limit: number) => Promise<{ job: Job; lines: JobLogLine[] }>;

export interface JobLogOptions {
  follow: boolean;
  print: (line: JobLogLine) => void;
  /** How a failed page is retried; the offset is kept, so a line is never printed twice. */
  retry?: RetryOptions;
  limit?: number;
  pollMs?: number;
  wait?: (ms: number) => Promise<unknown>;
}

/**
 * Prints a job's stored output from the start; with follow, until the job has ended and every
 * line is printed. Resumes from the last printed line's seq after any failed request. Returns the
 * job as last read.
 */
export async function readJobLog(page: LogPage, opts: JobLogOptions): Promise<Job> {
  const limit = opts.limit ?? 1000;
  const wait = opts.wait ?? sleep;
  let after = 0;
  for (;;) {
    const from = after;
    const res = await withRetry(() => page(from, limit), opts.retry);
    for (const l of res.lines) {
      if (l.seq <= after) continue;
      opts.print(l);
      after = l.seq;
    }
    if (res.lines.length === limit) continue;
    // The status is read before the lines, so once it is final every line has been printed.
    if (!opts.follow || res.job.status !== 'running') return res.job;
    await wait(opts.pollMs ?? 500);
  }
}
