import { randomBytes, createHash } from 'node:crypto';
import { constants, createWriteStream } from 'node:fs';
import { lstat, open, readFile, readdir, readlink, realpath, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import ignore from 'ignore';
import type { Ignore } from 'ignore';
import { ValidationError } from '../errors.js';
import { resolveLink } from './paths.js';
import { TAR_END, tarFile, tarHeaderBlocks, type TarEntryHeader } from './tar-writer.js';

/**
 * Left out of every deploy unless `.roroignore` re-includes them with `!` (e.g. `!node_modules/`):
 * caches and local environments that the image rebuilds and that only bloat the upload.
 * `.git` (directory or file, at any depth) is always left out and cannot be re-included.
 */
const DEFAULT_IGNORES = ['__pycache__/', '*.pyc', '.ipynb_checkpoints/', '.venv/', 'node_modules/'];
const IGNORE_FILE = '.roroignore';
const DEFAULT_MAX_PACK_BYTES = 200 * 1024 * 1024;

/** Fixed metadata so the same tree always gives the same bytes, whoever packs it and when. */
const FIXED_MTIME = new Date('2000-01-01T00:00:00Z');
const READ_CHUNK = 64 * 1024;

interface PackOptions {
  /** Limit on the sum of file sizes before compression; default 200 MiB. */
  maxBytes?: number;
  /** Called with the uncompressed file bytes packed so far. */
  onProgress?: (bytes: number) => void;
  /** Called for entries that are skipped (sockets, fifos, devices). */
  onWarning?: (message: string) => void;
}

export interface PackResult {
  /** A temp .tar.gz the caller uploads and then removes. */
  file: string;
  sha256: string;
  /** Compressed size of `file`. */
  bytes: number;
  files: number;
  uncompressedBytes: number;
}

interface PackEntry {
  rel: string;
  kind: 'dir' | 'file' | 'symlink';
  size: number;
  mode: number;
  linkpath?: string;
}

interface WalkContext {
  root: string;
  rules: Ignore;
  out: PackEntry[];
  warn: (message: string) => void;
}

/** Code-unit order, independent of locale, so entry order never varies between machines. */
function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

async function loadRules(root: string): Promise<Ignore> {
  const rules = ignore().add(DEFAULT_IGNORES);
  const text = await readFile(path.join(root, IGNORE_FILE), 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return '';
    throw err;
  });
  return rules.add(text);
}

async function checkLink(root: string, rel: string): Promise<string> {
  const target = await readlink(path.join(root, rel));
  const verdict = await resolveLink(root, rel);
  if (verdict === 'inside') return target;
  const why =
    verdict === 'absolute' ? 'is absolute' : verdict === 'loop' ? 'is a loop' : 'points outside the project';
  throw new ValidationError(
    `Symlink ${rel} -> ${target} ${why}; replace it with a relative link inside the project, a copy of the file, or add it to ${IGNORE_FILE}.`,
    { code: 'symlink_outside', details: { entry: rel } },
  );
}

async function walk(ctx: WalkContext, rel: string): Promise<void> {
  const names = (await readdir(path.join(ctx.root, rel))).sort(byteOrder);
  for (const name of names) {
    if (name === '.git') continue;
    const childRel = rel === '' ? name : `${rel}/${name}`;
    const info = await lstat(path.join(ctx.root, childRel));
    if (info.isDirectory()) {
      if (ctx.rules.ignores(`${childRel}/`)) continue;
      ctx.out.push({ rel: childRel, kind: 'dir', size: 0, mode: 0o755 });
      await walk(ctx, childRel);
    } else if (ctx.rules.ignores(childRel)) {
      continue;
    } else if (info.isFile()) {
      const mode = info.mode & 0o111 ? 0o755 : 0o644;
      ctx.out.push({ rel: childRel, kind: 'file', size: info.size, mode });
    } else if (info.isSymbolicLink()) {
      const linkpath = await checkLink(ctx.root, childRel);
      ctx.out.push({ rel: childRel, kind: 'symlink', size: 0, mode: 0o777, linkpath });
    } else {
      ctx.warn(`Skipped ${childRel}: sockets, fifos and devices cannot be deployed.`);
    }
  }
}

function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

function checkSize(entries: PackEntry[], maxBytes: number): number {
  const files = entries.filter((e) => e.kind === 'file');
  const total = files.reduce((sum, e) => sum + e.size, 0);
  if (total <= maxBytes) return total;
  const largest = [...files].sort((a, b) => b.size - a.size || byteOrder(a.rel, b.rel)).slice(0, 5);
  const list = largest.map((e) => `${e.rel} (${formatSize(e.size)})`).join(', ');
  throw new ValidationError(
    `Project is ${formatSize(total)} before compression, over the ${formatSize(maxBytes)} deploy limit; ` +
      `list data files in ${IGNORE_FILE} and keep them on a volume instead. Largest files: ${list}.`,
    { code: 'project_too_large', details: { total, maxBytes, largest: largest.map((e) => e.rel) } },
  );
}

function header(entry: PackEntry): TarEntryHeader {
  return {
    path: entry.rel,
    kind: entry.kind,
    size: entry.size,
    mode: entry.mode,
    mtime: FIXED_MTIME,
    linkpath: entry.linkpath,
  };
}

async function* fileBlocks(
  root: string,
  entry: PackEntry,
  progress: (n: number) => void,
): AsyncGenerator<Buffer> {
  const handle = await open(path.join(root, entry.rel), constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    yield* tarFile(handle, header(entry), {
      chunkBytes: READ_CHUNK,
      onBytes: progress,
      onShrink: (rel) =>
        new ValidationError(
          `File ${rel} shrank while it was being packed; run the deploy again once it stops changing.`,
          { code: 'file_changed' },
        ),
    });
  } finally {
    await handle.close();
  }
}

async function* tarStream(
  root: string,
  entries: PackEntry[],
  onProgress?: (b: number) => void,
): AsyncGenerator<Buffer> {
  let done = 0;
  const progress = (n: number): void => {
    done += n;
    onProgress?.(done);
  };
  for (const entry of entries) {
    if (entry.kind === 'file') yield* fileBlocks(root, entry, progress);
    else yield* tarHeaderBlocks(header(entry));
  }
  yield TAR_END;
}

/**
 * Packs a project directory into a deterministic .tar.gz in the temp dir, honouring
 * `.roroignore` (gitignore syntax, relative to `dir`) on top of DEFAULT_IGNORES.
 * Throws a ValidationError for symlinks that leave the project and for projects over maxBytes.
 */
export async function packProject(dir: string, opts: PackOptions = {}): Promise<PackResult> {
  const root = await realpath(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
    throw new ValidationError(
      `Project directory ${dir} does not exist; run roro deploy from the project directory.`,
      {
        code: 'project_missing',
      },
    );
  });
  const entries: PackEntry[] = [];
  await walk({ root, rules: await loadRules(root), out: entries, warn: opts.onWarning ?? (() => {}) }, '');
  if (entries.length === 0) {
    throw new ValidationError(
      `Project directory ${dir} has nothing to deploy; check that ${IGNORE_FILE} does not leave out every file.`,
      {
        code: 'project_empty',
      },
    );
  }
  const uncompressedBytes = checkSize(entries, opts.maxBytes ?? DEFAULT_MAX_PACK_BYTES);
  const file = path.join(os.tmpdir(), `roro-deploy-${randomBytes(8).toString('hex')}.tar.gz`);
  const hash = createHash('sha256');
  let bytes = 0;
  try {
    await pipeline(
      Readable.from(tarStream(root, entries, opts.onProgress)),
      createGzip({ level: 6 }),
      async function* tap(source: AsyncIterable<Buffer>) {
        for await (const chunk of source) {
          hash.update(chunk);
          bytes += chunk.length;
          yield chunk;
        }
      },
      createWriteStream(file, { flags: 'wx', mode: 0o600 }),
    );
  } catch (err) {
    await rm(file, { force: true });
    throw err;
  }
  const files = entries.filter((e) => e.kind === 'file').length;
  return { file, sha256: hash.digest('hex'), bytes, files, uncompressedBytes };
}
