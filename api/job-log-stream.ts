import type { Request, Response } from 'express';
import type { Pool } from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import { jobLogs } from './jobs.js';

/** How often the stream looks for new lines while the job runs, and how long one stream lasts. */
const POLL_MS = 300;
const MAX_STREAM_MS = 10 * 60 * 1000;
const KEEPALIVE_MS = 15_000;

/**
 * A job's log as Server-Sent Events: one `line` event per log line (its id is the line's seq, so a
 * browser's EventSource resumes after the last one it got, with Last-Event-ID), then one `end`
 * event with the job once it has finished and every line is sent. Only new lines travel: the
 * client never fetches the whole log again.
 */
export async function streamJobLogs(
  db: Pool,
  req: Request,
  res: Response,
  projectId: string,
  jobId: string,
  after: number,
): Promise<void> {
  const resumeAt = Number(req.get('last-event-id'));
  let seq = Number.isSafeInteger(resumeAt) && resumeAt > after ? resumeAt : after;
  // The first read also answers 404 (as JSON) for a job that is not there or not the caller's.
  let batch = await jobLogs(db, projectId, jobId, seq, 1000);
  res.status(200);
  res.set({
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    // nginx passes each event on at once instead of buffering the answer.
    'x-accel-buffering': 'no',
  });
  res.flushHeaders();
  let closed = false;
  req.on('close', () => (closed = true));
  const deadline = Date.now() + MAX_STREAM_MS;
  let lastWrite = Date.now();
  while (!closed && Date.now() < deadline) {
    for (const l of batch.lines) {
      seq = l.seq;
      res.write(`event: line\nid: ${l.seq}\ndata: ${JSON.stringify(l)}\n\n`);
      lastWrite = Date.now();
    }
    if (batch.lines.length === 0) {
      if (batch.job.status !== 'running') {
        res.write(`event: end\ndata: ${JSON.stringify(batch.job)}\n\n`);
        break;
      }
      if (Date.now() - lastWrite > KEEPALIVE_MS) {
        res.write(': keep-alive\n\n');
        lastWrite = Date.now();
      }
      await sleep(POLL_MS);
    }
    batch = await jobLogs(db, projectId, jobId, seq, 1000);
  }
  res.end();
}
