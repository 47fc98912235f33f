import crypto from 'node:crypto';
import { constants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { Response } from 'express';
import { extractArchive } from '../core/archive/index.js';
import { ConflictError, RoroError, ValidationError } from '../core/errors.js';
import {
  chownForContainers,
  chownTree,
  isInside,
  resolveExisting,
  resolveInVolume,
  showPath,
  type Resolved,
} from './volumes.js';
import { tarTree } from './volume-tar.js';
import { checkAnnouncedLength, receiveUploadFile, type UploadLimits } from './upload-file.js';

/**
 * Copying into and out of volumes. Uploads land under a temporary name in the destination's own
 * directory and are renamed into place only once every byte arrived and was synced, so a half-written
 * upload never appears under its final name. Every descriptor opened is checked to lie in the volume.
 */

interface UploadInput {
  volume: string;
  /** The destination path as the user gave it; a trailing `/` means "into this directory". */
  path: string;
  /** Base name of the source, used when the destination is a directory. */
  name?: string;
  /** Content-Length of the request, when sent. */
  length?: number;
  maxBytes: number;
  /** Directory uploads only: replace an existing directory. */
  force?: boolean;
  /** Bytes the volumes may still take (the project's quota less what they hold) and its error. */
  quota?: { remaining: number; exceeded: (wanted: number) => RoroError };
}

/** The upload's limits: the server's upload limit, or what the quota leaves when that is less. */
function limitsOf(input: UploadInput): UploadLimits {
  const quota = input.quota && input.quota.remaining < input.maxBytes ? input.quota : undefined;
  return {
    maxBytes: quota ? quota.remaining : input.maxBytes,
    tooLarge: quota ? quota.exceeded : () => tooLarge(input.maxBytes),
    length: input.length,
    again: 'Run roro cp again.',
  };
}

const tmpName = () => `.roro-upload-${crypto.randomBytes(6).toString('hex')}`;

function tooLarge(max: number): RoroError {
  return new RoroError(
    `The upload is larger than the server's limit of ${Math.floor(max / 1024 / 1024)} MiB.`,
    {
      status: 413,
      code: 'too_large',
      hint: 'Split the data into smaller files, or ask the admin to raise RORO_VOLUME_MAX_UPLOAD_BYTES.',
    },
  );
}

function checkBaseName(name: string | undefined, volume: string, dest: string): string {
  if (!name)
    throw new ValidationError(`${showPath(volume, dest)} is a directory: say which name to write in it.`, {
      hint: 'Add the file name to the destination path.',
    });
  if (
    name === '.' ||
    name === '..' ||
    name.includes('/') ||
    name.includes('\0') ||
    Buffer.byteLength(name) > 255
  ) {
    throw new ValidationError(`${JSON.stringify(name)} is not a valid file name.`, {
      code: 'path_outside_volume',
    });
  }
  return name;
}

async function mkdirs(dir: string): Promise<void> {
  const first = await fs.mkdir(dir, { recursive: true, mode: 0o755 });
  if (first) await chownTree(first);
}

async function fdPath(handle: fs.FileHandle): Promise<string | undefined> {
  return fs.readlink(`/proc/self/fd/${handle.fd}`).catch(() => undefined);
}

/** Where an upload goes: into an existing directory under the source's name, else the path itself. */
async function targetOf(r: Resolved, input: UploadInput): Promise<string> {
  const st = r.exists ? await fs.stat(r.abs) : undefined;
  if (st?.isDirectory()) return path.join(r.abs, checkBaseName(input.name, input.volume, input.path));
  if (!r.exists && input.path.endsWith('/')) {
    await mkdirs(r.abs);
    return path.join(r.abs, checkBaseName(input.name, input.volume, input.path));
  }
  if (r.rel === '') throw new ValidationError('The volume root cannot be replaced by a file.');
  await mkdirs(path.dirname(r.abs));
  return r.abs;
}

async function syncDir(dir: string): Promise<void> {
  const h = await fs.open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}

export async function receiveFile(volumeRoot: string, body: AsyncIterable<Buffer>, input: UploadInput) {
  const limits = limitsOf(input);
  checkAnnouncedLength(limits);
  const r = await resolveInVolume(volumeRoot, input.volume, input.path);
  const target = await targetOf(r, input);
  const existing = await fs.lstat(target).catch(() => undefined);
  if (existing?.isDirectory())
    throw new ConflictError(
      `${showPath(input.volume, path.relative(r.root, target))} is a directory; a file cannot replace it.`,
    );
  const tmp = path.join(path.dirname(target), tmpName());
  const { bytes } = await receiveUploadFile(body, tmp, limits, {
    mode: 0o644,
    sync: true,
    opened: async (handle) => {
      const real = await fdPath(handle);
      if (real !== undefined && !isInside(r.root, real))
        throw new ValidationError(`${showPath(input.volume, input.path)} leads outside the volume.`, {
          code: 'path_outside_volume',
        });
    },
  });
  try {
    await chownForContainers(tmp);
    await fs.rename(tmp, target);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
  await syncDir(path.dirname(target));
  return { path: path.relative(r.root, target), bytes, type: 'file' as const };
}

/** A gzip tar of a directory, extracted with core/archive's checks and renamed into place. */
export async function receiveDirectory(volumeRoot: string, body: AsyncIterable<Buffer>, input: UploadInput) {
  if (input.length !== undefined && input.length > input.maxBytes) throw tooLarge(input.maxBytes);
  const r = await resolveInVolume(volumeRoot, input.volume, input.path);
  const st = r.exists ? await fs.stat(r.abs) : undefined;
  if (st && !st.isDirectory())
    throw new ConflictError(
      `${showPath(input.volume, r.rel)} is a file; a directory cannot be copied onto it.`,
    );
  // Like a file, a directory copied to an existing directory, or to a path ending in `/`, goes inside it.
  const into = Boolean(st) || input.path.endsWith('/');
  const target = into ? path.join(r.abs, checkBaseName(input.name, input.volume, input.path)) : r.abs;
  if (target === r.root) throw new ValidationError('The volume root cannot be replaced.');
  const shown = showPath(input.volume, path.relative(r.root, target));
  const before = await fs.lstat(target).catch(() => undefined);
  if (before && !input.force)
    throw new ConflictError(
      `${shown} already exists.`,
      'Pass --force to replace it, or copy to another path.',
    );
  if (before && !before.isDirectory())
    throw new ConflictError(`${shown} is not a directory; remove it first.`);
  await mkdirs(path.dirname(target));
  // The archive waits beside the volumes (volume names never start with a dot), on the same disk.
  const staging = path.join(path.dirname(r.root), '.uploads');
  await fs.mkdir(staging, { recursive: true, mode: 0o700 });
  const archive = path.join(staging, `${tmpName()}.tar.gz`);
  const tmp = path.join(path.dirname(target), tmpName());
  try {
    const limits = limitsOf(input);
    await receiveUploadFile(body, archive, limits);
    // What the archive unpacks to counts, not what it weighs: a gzip bomb stops at the limit.
    const res = await extractArchive(archive, tmp, { maxBytes: limits.maxBytes }).catch((err: unknown) => {
      throw err instanceof RoroError && err.code === 'archive_too_large'
        ? limits.tooLarge(limits.maxBytes + 1)
        : err;
    });
    await chownTree(tmp);
    if (before) {
      const old = path.join(path.dirname(target), tmpName());
      await fs.rename(target, old);
      await fs.rename(tmp, target);
      await fs.rm(old, { recursive: true, force: true });
    } else {
      await fs.rename(tmp, target).catch((err: NodeJS.ErrnoException) => {
        throw err.code === 'ENOTEMPTY' || err.code === 'EEXIST'
          ? new ConflictError(`${shown} appeared while copying.`, 'Run roro cp again with --force.')
          : err;
      });
    }
    await syncDir(path.dirname(target));
    return { path: path.relative(r.root, target), bytes: res.bytes, files: res.files, type: 'dir' as const };
  } finally {
    await fs.rm(archive, { force: true });
    await fs.rm(tmp, { recursive: true, force: true });
  }
}

/** Sends one file (octet-stream with its length) or, with `recursive`, a directory as a gzip tar. */
export async function sendVolumePath(
  res: Response,
  volumeRoot: string,
  volume: string,
  raw: string,
  recursive: boolean,
): Promise<void> {
  const r = await resolveExisting(volumeRoot, volume, raw);
  const st = await fs.stat(r.abs);
  const name = r.rel === '' ? volume : path.basename(r.abs);
  res.setHeader('x-roro-name', encodeURIComponent(name));
  if (st.isDirectory()) {
    if (!recursive)
      throw new ValidationError(`${showPath(volume, r.rel)} is a directory.`, {
        code: 'is_directory',
        hint: 'Pass -r to copy a directory.',
      });
    res.status(200).type('application/gzip').setHeader('x-roro-type', 'dir');
    await pipeline(Readable.from(tarTree(r.abs, { checkFd: true })), createGzip({ level: 1 }), res);
    return;
  }
  if (!st.isFile()) throw new ValidationError(`${showPath(volume, r.rel)} is not a regular file.`);
  const handle = await fs.open(r.abs, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const real = await fdPath(handle);
    if (real !== undefined && !isInside(r.root, real))
      throw new ValidationError(`${showPath(volume, raw)} leads outside the volume.`, {
        code: 'path_outside_volume',
      });
    const size = (await handle.stat()).size;
    res.status(200).type('application/octet-stream');
    res.setHeader('x-roro-type', 'file');
    res.setHeader('content-length', String(size));
    if (size === 0) res.end();
    else await pipeline(handle.createReadStream({ start: 0, end: size - 1, autoClose: false }), res);
  } finally {
    await handle.close().catch(() => undefined);
  }
}
