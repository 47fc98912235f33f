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
    const bar = uploadProgress(`Uploading ${formatBytes(total)}`, total);
    let sent = 0;
    const tar = tarTree(root, {
      onSkip: (rel, why) => warn(`Skipped ${rel}: ${why}.`),
      onBytes: (n) => bar.update((sent += n)),
    });
    const q = new URLSearchParams({
      path: to.path,
      name,
      type: 'dir',
      ...(opts.force ? { force: '1' } : {}),
    });
    const res = await send(
      client,
      `${url}?${q}`,
      Readable.from(tar).pipe(createGzip({ level: 1 })),
      undefined,
      bar,
    );
    info(`Copied ${res.files} file(s), ${formatBytes(res.bytes)}, to ${to.volume}:${res.path}`);
    return;
  }
  if (!st.isFile()) throw new ConfigError(`${local} is not a file or a directory.`);
  const bar = uploadProgress(`Uploading ${formatBytes(st.size)}`, st.size);
  const q = new URLSearchParams({ path: to.path, name, type: 'file' });
  const body = Readable.from(counted(fs.createReadStream(local), bar));
  const res = await send(client, `${url}?${q}`, body, st.size, bar);
  info(`Copied ${formatBytes(res.bytes)} to ${to.volume}:${res.path}`);
}

async function send(
  client: ApiClient,
  url: string,
  body: NodeJS.ReadableStream,
  length: number | undefined,
  bar: { finish(): void; fail(): void },
): Promise<{ path: string; bytes: number; files?: number }> {
  try {
    const res = await client.request<{ path: string; bytes: number; files?: number }>(url, {
      method: 'PUT',
      bodyStream: body,
      headers: {
        'content-type': 'application/octet-stream',
        ...(length === undefined ? {} : { 'content-length': String(length) }),
      },
    });
    bar.finish();
    return res;
  } catch (err) {
    bar.fail();
    throw err;
  }
}

/** `dest` is a directory that exists: the copy goes inside it, under the source's name. */
async function localTarget(dest: string, name: string): Promise<string> {
  const st = await fsp.stat(dest).catch(() => undefined);
  return st?.isDirectory() ? path.join(dest, name) : dest;
}

async function download(
  client: ApiClient,
  url: string,
  from: Remote,
  dest: string,
  opts: CpOptions,
): Promise<void> {
  const q = new URLSearchParams({ path: from.path, ...(opts.recursive ? { recursive: '1' } : {}) });
  const res = await client.fetch(`${url}?${q}`, { headers: { accept: '*/*' } });
  if (!res.body) throw new RoroError('The server sent no content.');
  const name = decodeURIComponent(res.headers.get('x-roro-name') ?? '') || from.volume;
  const body = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>);
  if (dest === '-') {
    await pipeline(body, process.stdout);
    return;
  }
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
