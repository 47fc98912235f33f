import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { extractArchive } from '../../core/archive/index.js';
import { ConfigError, RoroError } from '../../core/errors.js';
import { isValidName } from '../../core/names.js';
import { tarTree, treeBytes } from '../../api/volume-tar.js';
import { ApiClient } from '../client.js';
import { info, warn } from '../output.js';
import { formatBytes, uploadProgress } from '../progress.js';
import { projectPath, resolveProject } from '../project.js';
import { announced, isTransient, withRetry } from '../retry.js';

export interface CpOptions {
  recursive?: boolean;
  force?: boolean;
  project?: string;
  url?: string;
}

interface Remote {
  volume: string;
  path: string;
}

/** `data:models/x.pkl` is remote; write `./a:b` for a local file whose name has a colon. */
export function parseRemote(arg: string): Remote | undefined {
  const m = /^([a-z][a-z0-9-]*):(.*)$/s.exec(arg);
  return m && isValidName(m[1]!) ? { volume: m[1]!, path: m[2]! } : undefined;
}

const shown = (r: Remote) => `${r.volume}:${r.path}`;

export async function cpCommand(src: unknown, dest: unknown, opts: CpOptions): Promise<void> {
  if (typeof src !== 'string' || typeof dest !== 'string' || !src || !dest) {
    throw new ConfigError(
      'roro cp needs a source and a destination.',
      'Run roro cp SRC DEST, e.g. roro cp model.pkl data:models/.',
    );
  }
  const from = parseRemote(src);
  const to = parseRemote(dest);
  if (Boolean(from) === Boolean(to)) {
    throw new ConfigError(
      from
        ? 'Both sides of roro cp are volumes; copy through a local directory.'
        : 'Neither side of roro cp is a volume.',
      'Exactly one of SRC and DEST is VOLUME:PATH, e.g. roro cp -r ./images data:images.',
    );
  }
  const project = resolveProject(opts.project);
  const client = ApiClient.forCli(opts.url);
  const base = (r: Remote) => `${projectPath(project)}/volumes/${r.volume}/files`;
  if (to) await upload(client, base(to), src, to, opts);
  else await download(client, base(from!), from!, dest, opts);
}

/** Yields the chunks while moving the bar; the bar draws only on a live terminal. */
async function* counted(source: AsyncIterable<Buffer>, bar: { update(n: number): void }) {
  let n = 0;
  for await (const chunk of source) {
    n += chunk.length;
    bar.update(n);
    yield chunk;
  }
}

async function upload(
  client: ApiClient,
  url: string,
  local: string,
  to: Remote,
  opts: CpOptions,
): Promise<void> {
  const st = await fsp.stat(local).catch(() => {
    throw new ConfigError(`${local} does not exist.`, 'Check the path.');
  });
  const name = path.basename(path.resolve(local));
  if (st.isDirectory()) {
    if (!opts.recursive) throw new ConfigError(`${local} is a directory.`, 'Pass -r to copy a directory.');
    const root = await fsp.realpath(local);
    const total = await treeBytes(root);
    const q = new URLSearchParams({
      path: to.path,
      name,
      type: 'dir',
      ...(opts.force ? { force: '1' } : {}),
    });
    const res = await send(client, `${url}?${q}`, total, undefined, (bar) => {
      let sent = 0;
      const tar = tarTree(root, {
        onSkip: (rel, why) => warn(`Skipped ${rel}: ${why}.`),
        onBytes: (n) => bar.update((sent += n)),
      });
      return Readable.from(tar).pipe(createGzip({ level: 1 }));
    });
    info(`Copied ${res.files} file(s), ${formatBytes(res.bytes)}, to ${to.volume}:${res.path}`);
    return;
  }
  if (!st.isFile()) throw new ConfigError(`${local} is not a file or a directory.`);
  const q = new URLSearchParams({ path: to.path, name, type: 'file' });
  const res = await send(client, `${url}?${q}`, st.size, st.size, (bar) =>
    Readable.from(counted(fs.createReadStream(local), bar)),
  );
  info(`Copied ${formatBytes(res.bytes)} to ${to.volume}:${res.path}`);
}

type Sent = { path: string; bytes: number; files?: number };

/**
 * PUTs the body that `open` makes, with a progress bar per attempt. The server writes under a
 * temporary name and renames into place once every byte arrived, so sending the same copy again
 * after a dropped connection or a 5xx is safe: the attempt either left nothing or the whole copy.
 */
async function send(
  client: ApiClient,
  url: string,
  total: number,
  length: number | undefined,
  open: (bar: { update(n: number): void }) => NodeJS.ReadableStream,
): Promise<Sent> {
  let unanswered = false;
  const bar = uploadProgress(`Uploading ${formatBytes(total)}`, total);
  try {
    const res = await withRetry(async () => {
      try {
        return await client.request<Sent>(url, {
          method: 'PUT',
          bodyStream: open(bar),
          headers: {
            'content-type': 'application/octet-stream',
            ...(length === undefined ? {} : { 'content-length': String(length) }),
          },
        });
      } catch (err) {
        if (unanswered && err instanceof RoroError && err.status === 409) throw copiedBefore(err);
        unanswered ||= isTransient(err);
        throw err;
      }
    }, announced());
    bar.finish();
    return res;
  } catch (err) {
    bar.fail();
    throw err;
  }
}

/** A directory copy retried after a lost answer finds its target: the lost attempt most likely made it. */
function copiedBefore(err: RoroError): RoroError {
  return new RoroError(
    `${err.message} An earlier attempt of this copy lost its answer, so it most likely copied it completely (the server puts a directory in place only once every file arrived).`,
    {
      code: 'copied_before',
      hint: 'Check with `roro volumes:ls VOLUME:PATH`; run roro cp again with --force to replace it.',
      cause: err,
    },
  );
}

/** `dest` is a directory that exists: the copy goes inside it, under the source's name. */
async function localTarget(dest: string, name: string): Promise<string> {
  const st = await fsp.stat(dest).catch(() => undefined);
  return st?.isDirectory() ? path.join(dest, name) : dest;
}

/**
 * A download is written beside its target and renamed at the end, so one cut off by a blip starts
 * over; only a download to stdout that already wrote bytes cannot be taken back, and fails.
 */
async function download(
  client: ApiClient,
  url: string,
  from: Remote,
  dest: string,
  opts: CpOptions,
): Promise<void> {
  let wrote = false;
  const toStdout = (body: Readable) =>
    pipeline(
      body,
      async function* (src: AsyncIterable<Buffer>) {
        for await (const c of src) {
          wrote = true;
          yield c;
        }
      },
      process.stdout,
    );
  await withRetry(
    () => downloadOnce(client, url, from, dest, opts, toStdout),
    announced({ retryIf: (err) => isTransient(err) && !wrote }),
  );
}

async function downloadOnce(
  client: ApiClient,
  url: string,
  from: Remote,
  dest: string,
  opts: CpOptions,
  toStdout: (body: Readable) => Promise<void>,
): Promise<void> {
  const q = new URLSearchParams({ path: from.path, ...(opts.recursive ? { recursive: '1' } : {}) });
  const res = await client.fetch(`${url}?${q}`, { headers: { accept: '*/*' } });
  if (!res.body) throw new RoroError('The server sent no content.');
  const name = decodeURIComponent(res.headers.get('x-roro-name') ?? '') || from.volume;
  const body = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>);
  if (dest === '-') return toStdout(body);
  if (res.headers.get('x-roro-type') === 'dir') return downloadDir(body, await localTarget(dest, name), from);
  const total = Number(res.headers.get('content-length') ?? NaN);
  const target = await localTarget(dest, name);
  // Written under a temporary name beside the target, renamed once every byte arrived.
  const tmp = path.join(
    path.dirname(target),
    `.${path.basename(target)}.roro-${crypto.randomBytes(4).toString('hex')}`,
  );
  const bar = uploadProgress(`Downloading ${formatBytes(total || 0)}`, total || 0);
  let got = 0;
  try {
    await pipeline(
      body,
      async function* (src: AsyncIterable<Buffer>) {
        for await (const c of src) {
          got += c.length;
          bar.update(got);
          yield c;
        }
      },
      fs.createWriteStream(tmp, { flags: 'wx', mode: 0o644 }),
    );
    if (Number.isFinite(total) && got !== total)
      throw new RoroError(`The download stopped after ${got} of ${total} bytes.`, {
        code: 'size_mismatch',
        hint: 'Run roro cp again.',
      });
    await fsp.rename(tmp, target);
    bar.finish();
  } catch (err) {
    bar.fail();
    await fsp.rm(tmp, { force: true });
    throw err;
  }
  info(`Copied ${shown(from)} (${formatBytes(got)}) to ${target}`);
}

/** The tar is saved beside the target first, then extracted with the same checks the server uses. */
async function downloadDir(body: Readable, target: string, from: Remote): Promise<void> {
  const parent = path.dirname(path.resolve(target));
  await fsp.mkdir(parent, { recursive: true });
  const tmp = path.join(parent, `.roro-cp-${crypto.randomBytes(4).toString('hex')}.tar.gz`);
  try {
    await pipeline(body, fs.createWriteStream(tmp, { flags: 'wx', mode: 0o600 }));
    const res = await extractArchive(tmp, target);
    info(`Copied ${shown(from)} (${res.files} file(s), ${formatBytes(res.bytes)}) to ${target}`);
  } finally {
    await fsp.rm(tmp, { force: true });
  }
}
