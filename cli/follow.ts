import { setTimeout as sleep } from 'node:timers/promises';
import { RoroError } from '../core/errors.js';
import type { ApiClient } from './client.js';
import { info, out, printJson } from './output.js';
import { EventRenderer, NdjsonParser, isLive } from './progress.js';
import type { Chunk, DeployEvent, DoneData, Outcome, StreamError } from './progress.js';
import { projectPath } from './project.js';
import { Backoff, blipNotice, isTransient, withRetry } from './retry.js';

/**
 * Following an operation on the server: a deploy, and everything that runs as one (rollbacks,
 * service start/stop/restart, config changes). The events are rendered by cli/progress.ts.
 */

/** A deploy-like operation as the API answers it. */
export interface Deploy {
  id: string;
  workflowId?: string;
  status: 'running' | 'succeeded' | 'failed';
  version?: number;
  error?: string;
  kind?: string;
}

export interface FollowOptions {
  final: (data: DoneData) => string;
  next?: string;
  showRestarted?: boolean;
  json?: boolean;
}

/**
 * `--detach` prints the id and returns; otherwise follows the events to the end. With `--json` the
 * final deploy object goes to stdout. A failed deploy sets exit code 1 (its error is already printed).
 */
export async function detachOrFollow(
  client: ApiClient,
  project: string,
  deploy: Deploy,
  opts: { detach?: boolean; json?: boolean },
  follow: FollowOptions,
): Promise<void> {
  if (opts.detach) {
    if (opts.json) printJson({ deploy });
    else out(deploy.id);
    info(`${deploy.id} is running on the server. Check on it with: roro ps`);
    return;
  }
  const outcome = await followDeploy(client, project, deploy.id, { ...follow, json: opts.json });
  if (opts.json) printJson({ deploy: await withRetry(() => getDeploy(client, project, deploy.id)) });
  if (outcome.status === 'failed') process.exitCode = 1;
}

export async function getDeploy(client: ApiClient, project: string, id: string): Promise<Deploy> {
  const path = `${projectPath(project)}/deploys/${encodeURIComponent(id)}`;
  return (await client.request<{ deploy: Deploy }>(path)).deploy;
}

const MAX_CONNECTIONS = 10_000; // about 800 hours of 5-minute streams: a bound, never reached

/** Reads one connection of the event stream; resolves when the server closes it or the deploy ended. */
async function readEvents(
  client: ApiClient,
  path: string,
  onEvent: (e: DeployEvent) => boolean,
): Promise<void> {
  const res = await client.fetch(path, { headers: { accept: 'application/x-ndjson' } });
  if (!res.body) return;
  const parser = new NdjsonParser();
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    for (const e of parser.push(chunk)) if (onEvent(e)) return;
  }
  for (const e of parser.end()) if (onEvent(e)) return;
  if (parser.streamError) throw streamInterrupted(parser.streamError);
}

/** The server ended the stream with an error line (the database went away mid-stream): read again. */
function streamInterrupted(e: StreamError): RoroError {
  return new RoroError(e.message || 'The event stream broke off.', {
    code: 'stream_interrupted',
    hint: e.hint,
    details: { serverCode: e.code },
  });
}

/** Where followDeploy writes; tests pass their own. */
export interface FollowSink {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const processSink: FollowSink = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/**
 * Prints a deploy's events until it succeeds or fails, reconnecting with `after=<last seq>` when
 * the stream drops or the API fails (backing off while it is away), so no line is lost or shown
 * twice. Returns how it ended.
 */
export async function followDeploy(
  client: ApiClient,
  project: string,
  id: string,
  opts: FollowOptions & { sink?: FollowSink; backoff?: Backoff },
): Promise<Outcome> {
  const sink = opts.sink ?? processSink;
  const renderer = new EventRenderer({
    live: opts.sink ? false : isLive(process.stderr),
    columns: process.stderr.columns,
    ...opts,
  });
  const write = (chunks: Chunk[]) => {
    for (const c of chunks) {
      if (c.to === 'err') sink.stderr(c.text);
      else if (!opts.json) sink.stdout(c.text); // --json: stdout holds only the JSON
    }
  };
  let after = 0;
  const onEvent = (e: DeployEvent): boolean => {
    if (e.seq <= after) return false; // already shown before a reconnect
    after = e.seq;
    write(renderer.render(e));
    return renderer.outcome !== undefined;
  };
  // Notices go through the renderer, which ends an open `Building...` line before them.
  const notice = (kind: 'warn' | 'info', message: string) =>
    write(renderer.render({ seq: 0, at: '', kind, message }));
  const onInterrupt = () => {
    info(`\nStopped following; ${id} is still running on the server. Check on it with: roro ps`);
    process.exit(130);
  };
  if (!opts.sink) process.once('SIGINT', onInterrupt);
  try {
    const loop = { client, project, id, onEvent, lastSeq: () => after, renderer, notice };
    return await followLoop(loop, opts.backoff ?? new Backoff());
  } finally {
    process.off('SIGINT', onInterrupt);
  }
}

interface Loop {
  client: ApiClient;
  project: string;
  id: string;
  onEvent: (e: DeployEvent) => boolean;
  lastSeq: () => number;
  renderer: EventRenderer;
  notice: (kind: 'warn' | 'info', message: string) => void;
}

async function followLoop(loop: Loop, backoff: Backoff): Promise<Outcome> {
  const { client, project, id, renderer } = loop;
  const base = `${projectPath(project)}/deploys/${encodeURIComponent(id)}`;
  const retry = {
    backoff,
    onRetry: (err: unknown, _ms: number, failures: number) => {
      if (failures === 1) loop.notice('warn', blipNotice(err));
    },
    onRecover: (ms: number) =>
      loop.notice('info', `The roro API answers again (after ${Math.max(1, Math.round(ms / 1000))} s).`),
  };
  let ended = false;
  for (let i = 0; i < MAX_CONNECTIONS; i++) {
    const seqBefore = loop.lastSeq();
    let seqAtFailure = seqBefore;
    try {
      await withRetry(() => readEvents(client, `${base}/events?after=${loop.lastSeq()}`, loop.onEvent), {
        ...retry,
        // Events that arrived since the last failure are progress: the back-off starts over.
        retryIf: (err) => {
          if (loop.lastSeq() > seqAtFailure) backoff.reset();
          seqAtFailure = loop.lastSeq();
          return isTransient(err) && renderer.outcome === undefined;
        },
      });
    } catch (err) {
      if (renderer.outcome) return renderer.outcome;
      throw isTransient(err) ? lostConnection(id, err) : err;
    }
    if (renderer.outcome) return renderer.outcome;
    // Closed without a final event: the server's time limit, or the deploy ended as we reconnected.
    const deploy = await withRetry(() => getDeploy(client, project, id), retry).catch((err: unknown) => {
      throw isTransient(err) ? lostConnection(id, err) : err;
    });
    if (deploy.status !== 'running') {
      if (ended) return synthesize(deploy, loop.onEvent, loop.lastSeq(), renderer);
      ended = true; // one more read drains the events written after our last one
    } else if (loop.lastSeq() === seqBefore) {
      await sleep(1000); // a server that closes at once must not be polled in a tight loop
    }
  }
  throw lostConnection(id, undefined);
}

/** The deploy ended but its stream never said how: render the deploy's own status instead. */
function synthesize(
  deploy: Deploy,
  onEvent: (e: DeployEvent) => boolean,
  seq: number,
  renderer: EventRenderer,
): Outcome {
  const at = new Date().toISOString();
  if (deploy.status === 'succeeded')
    onEvent({ seq: seq + 1, at, kind: 'done', message: '', data: { version: deploy.version } });
  else onEvent({ seq: seq + 1, at, kind: 'failed', message: deploy.error ?? 'the deploy failed.' });
  return renderer.outcome ?? { status: 'failed', reason: deploy.error ?? 'unknown', logs: [] };
}

function lostConnection(id: string, cause: unknown): RoroError {
  return new RoroError(`Lost the connection to the roro API while following ${id}.`, {
    code: 'unreachable',
    hint: 'The deploy is still running on the server; check on it with: roro ps',
    cause,
  });
}
