import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { packProject } from '../../core/archive/pack.js';
import type { PackResult } from '../../core/archive/pack.js';
import { ConfigError, RoroError } from '../../core/errors.js';
import type { Issue } from '../../core/roro-yml.js';
import { formatIssues, validateRoroYml } from '../../core/roro-yml.js';
import { ApiClient } from '../client.js';
import { info, out, printJson, warn } from '../output.js';
import { EventRenderer, NdjsonParser, formatBytes, isLive, uploadProgress } from '../progress.js';
import type { Chunk, DeployEvent, DoneData, Outcome, StreamError, UploadProgress } from '../progress.js';
import {
  Backoff,
  announced,
  blipNotice,
  isRefusedUnavailable,
  isTransient,
  startOutcomeUnknown,
  withRetry,
} from '../retry.js';
import { RORO_YML, projectPath, readRoroYml, resolveProject } from '../project.js';

export interface Deploy {
  id: string;
  workflowId?: string;
  status: 'running' | 'succeeded' | 'failed';
  version?: number;
  error?: string;
  kind?: string;
}

export interface DeployOptions {
  project?: string;
  detach?: boolean;
  json?: boolean;
  url?: string;
}

// ---------- the phases of `roro deploy` ----------

/** Checks ./roro.yml before anything is packed or sent: every issue at once, exit 2. */
export function validatePhase(flag: unknown, cwd = process.cwd()): string {
  const yml = readRoroYml(cwd);
  if (!yml) {
    throw new ConfigError(
      `No ${RORO_YML} in ${cwd}: roro deploy needs one to know what to run.`,
      'Run roro deploy from your project directory, or create roro.yml with "project: NAME" and a "services:" list.',
    );
  }
  const fallback = typeof flag === 'string' && flag ? flag : process.env.RORO_PROJECT || undefined;
  const { config, issues } = validateRoroYml(yml.text, { filename: RORO_YML, project: fallback });
  if (!config) {
    throw new ConfigError(
      formatIssues(issues),
      `Fix the problems listed above in ${RORO_YML}, then run roro deploy again.`,
      issues,
    );
  }
  const project = resolveProject(flag, process.env, cwd);
  if (config.project && config.project !== project) {
    warn(
      `roro.yml names project ${config.project}; deploying to ${project} as --project or RORO_PROJECT says.`,
    );
  }
  return project;
}

export async function packagePhase(dir = process.cwd()): Promise<PackResult> {
  const pack = await packProject(dir, { onWarning: (message) => warn(message) });
  info(
    `Packaging ${pack.files} file${pack.files === 1 ? '' : 's'} (${formatBytes(pack.uncompressedBytes)})... done.`,
  );
  return pack;
}

/**
 * Streams the archive with its length and checksum; the server starts the deploy workflow and
 * answers 202. A 503 `unavailable` means the server refused before starting anything, so the upload
 * is sent again; an upload cut off without an answer is not, since the deploy may have started.
 */
export async function uploadPhase(client: ApiClient, project: string, pack: PackResult): Promise<Deploy> {
  const bar = uploadProgress(`Uploading ${formatBytes(pack.bytes)}`, pack.bytes);
  try {
    const deploy = await withRetry(
      () => uploadOnce(client, project, pack, bar),
      announced({ retryIf: isRefusedUnavailable }),
    );
    bar.finish();
    return deploy;
  } catch (err) {
    bar.fail();
    throw explainUploadError(err, project);
  }
}

async function uploadOnce(
  client: ApiClient,
  project: string,
  pack: PackResult,
  bar: UploadProgress,
): Promise<Deploy> {
  let sent = 0;
  async function* counted() {
    for await (const chunk of createReadStream(pack.file)) {
      sent += (chunk as Buffer).length;
      bar.update(sent);
      yield chunk as Buffer;
    }
  }
  const { deploy } = await client.request<{ deploy: Deploy }>(`${projectPath(project)}/deploys`, {
    method: 'POST',
    bodyStream: Readable.from(counted()),
    headers: {
      'content-type': 'application/gzip',
      'content-length': String(pack.bytes),
      'x-roro-sha256': pack.sha256,
    },
  });
  return deploy;
}

/** Adds the next step to the deploy endpoint's refusals when the server did not give one. */
function explainUploadError(err: unknown, project: string): unknown {
  if (isTransient(err) && !isRefusedUnavailable(err))
    return startOutcomeUnknown(err, 'deploy', `roro ps --project ${project}`);
  if (!(err instanceof RoroError)) return err;
  if (err.code === 'invalid_roro_yml' && Array.isArray(err.details)) {
    return new ConfigError(
      formatIssues(err.details as Issue[]),
      err.hint ?? `Fix ${RORO_YML}, then run roro deploy again.`,
      err.details,
    );
  }
  const running = (err.details as { deployId?: string } | undefined)?.deployId;
  const hints: Record<string, string> = {
    deploy_running: `Wait for ${running ? `deploy ${running}` : 'the running deploy'} to finish (see roro ps), then run roro deploy again.`,
    too_large:
      'Leave large files out with .roroignore; data belongs in /volumes/data (copy it with roro cp).',
    checksum_mismatch: 'The upload was damaged on the way; run roro deploy again.',
    invalid_archive: 'The upload was damaged on the way; run roro deploy again.',
  };
  const hint = hints[err.code];
  if (err.hint || !hint) return err;
  return new RoroError(err.message, { code: err.code, status: err.status, hint, details: err.details });
}

export async function deployCommand(opts: DeployOptions): Promise<void> {
  const project = validatePhase(opts.project);
  const client = ApiClient.forCli(opts.url);
  const pack = await packagePhase();
  let deploy: Deploy;
  try {
    deploy = await uploadPhase(client, project, pack);
  } finally {
    await rm(pack.file, { force: true });
  }
  await detachOrFollow(client, project, deploy, opts, {
    final: (d) => `Deployed version ${d.version ?? '?'} of ${project} project.`,
    next: 'Watch it with: roro ps',
    showRestarted: true,
  });
}

// ---------- following a deploy (also rollbacks and start/stop/restart) ----------

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
