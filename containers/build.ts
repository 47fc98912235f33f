import type Docker from 'dockerode';
import type { Readable } from 'node:stream';
import { RoroError } from '../core/errors.js';

export interface ImageBuildRequest {
  context: Readable;
  tag: string;
  labels?: Record<string, string>;
  buildargs?: Record<string, string>;
  onLog?: (line: string) => void;
  signal?: AbortSignal;
  timeoutMs?: number;
  /** What is being built, for error messages ("project image roro/app-x:7"). */
  what: string;
}

export interface ImageBuildResult {
  imageId: string;
  /** Every line of build output, kept for callers that inspect it (cache hits, errors). */
  log: string[];
}

export interface BuildEvent {
  stream?: string;
  error?: string;
  errorDetail?: { message?: string };
  aux?: { ID?: string };
}

const KEEP_LINES = 5000;

/**
 * Runs one classic-builder build and streams its output line by line. The engine reports a
 * failed step only in the last event (followProgress still "succeeds"), so the events are read
 * here and a failure becomes a RoroError `build_failed` carrying the step's own error lines.
 */
export async function runImageBuild(docker: Docker, req: ImageBuildRequest): Promise<ImageBuildResult> {
  const abort = new AbortController();
  const signals = [abort.signal, ...(req.signal ? [req.signal] : [])];
  const signal = AbortSignal.any(signals);
  const timer = req.timeoutMs ? setTimeout(() => abort.abort(new TimeoutSignal()), req.timeoutMs) : undefined;
  const log: string[] = [];
  let partial = '';
  const push = (text: string) => {
    const parts = (partial + text).split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) addLine(line);
  };
  const addLine = (raw: string) => {
    const line = raw.replace(/\r$/, '').replace(/\u001b\[[0-9;]*m/g, '');
    if (log.length >= KEEP_LINES) log.shift();
    log.push(line);
    req.onLog?.(line);
  };
  try {
    signal.throwIfAborted();
    const stream = (await docker.buildImage(req.context, {
      t: req.tag,
      labels: req.labels,
      buildargs: req.buildargs,
      rm: true,
      forcerm: true,
      abortSignal: signal,
    } as Docker.ImageBuildOptions)) as Readable;
    const events = await followEvents(docker, stream, signal, (e) => e.stream && push(e.stream));
    if (partial) addLine(partial);
    const failed = events.find((e) => e.error || e.errorDetail);
    if (failed) throw buildFailed(req.what, failed, log);
    const id = [...events].reverse().find((e) => e.aux?.ID)?.aux?.ID;
    return { imageId: id ?? (await docker.getImage(req.tag).inspect()).Id, log };
  } catch (err) {
    if (signal.aborted) throw abortedError(req, signal.reason, err);
    throw err;
  } finally {
    clearTimeout(timer);
    req.context.destroy();
  }
}

class TimeoutSignal extends Error {}

function followEvents(
  docker: Docker,
  stream: Readable,
  signal: AbortSignal,
  onEvent: (e: BuildEvent) => void,
): Promise<BuildEvent[]> {
  return new Promise((resolve, reject) => {
    // Destroying the response closes the connection, which makes the engine cancel the build.
    const onAbort = () => {
      stream.destroy();
      reject(signal.reason);
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    docker.modem.followProgress(
      stream,
      (err: Error | null, output: BuildEvent[]) => {
        signal.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve(output ?? []);
      },
      onEvent,
    );
  });
}

/**
 * The engine lost an image the build stood on (a cached layer, removed meanwhile with another
 * project's images): nothing is wrong with the project, and the build is tried again.
 */
const LOST_LAYER = /unable to find image "?sha256:|no such image: sha256:/i;

/** A failed build as an error: the project's own (`build_failed`), or the engine's, tried again. */
export function buildFailed(what: string, event: BuildEvent, log: string[]): RoroError {
  const engineMessage = (event.errorDetail?.message ?? event.error ?? 'unknown error').trim();
  if (LOST_LAYER.test(engineMessage)) {
    return new RoroError(`Building ${what} was interrupted: ${engineMessage}.`, {
      code: 'build_interrupted',
      status: 503,
      hint: 'An image layer the build used was removed meanwhile; the build is tried again.',
    });
  }
  // The step's own diagnosis (pip's "ERROR: ..." lines) is more useful than the engine's
  // "returned a non-zero code"; keep the last few of them.
  const tail = log.filter(
    (l) => l.trim() !== '' && !l.startsWith(' ---> ') && !l.startsWith('Removing intermediate'),
  );
  const errors = tail.filter((l) => /^(ERROR|error|E):?\s/.test(l.trim()) || /Error\b/.test(l)).slice(-6);
  const detail = (errors.length > 0 ? errors : tail.slice(-6)).join('\n');
  return new RoroError(`Building ${what} failed: ${engineMessage}\n${detail}`, {
    code: 'build_failed',
    status: 422,
    hint: 'Fix the failing step (often a package in requirements.txt) and deploy again.',
    details: { engineMessage, lines: tail.slice(-40) },
  });
}

function abortedError(req: ImageBuildRequest, reason: unknown, cause: unknown): RoroError {
  if (reason instanceof TimeoutSignal) {
    return new RoroError(
      `Building ${req.what} took longer than ${req.timeoutMs} ms and was stopped: raise the build timeout or make the build lighter.`,
      {
        code: 'build_timeout',
        status: 504,
        cause,
      },
    );
  }
  return new RoroError(`Building ${req.what} was cancelled.`, {
    code: 'build_cancelled',
    status: 499,
    cause,
  });
}
