import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { homePaths } from '../core/config.js';
import { RoroError, ValidationError } from '../core/errors.js';

/** Largest model blob; RORO_MODEL_MAX_BYTES overrides the 2 GiB default. */
export function maxModelBytes(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env.RORO_MODEL_MAX_BYTES);
  return Number.isSafeInteger(n) && n > 0 ? n : 2 * 1024 * 1024 * 1024;
}

export function modelsRoot(home: string): string {
  return homePaths(home).models;
}

/** Repository names follow core/names.ts, so the path below cannot escape the models directory. */
export function blobPath(home: string, projectId: string, repo: string, version: number): string {
  return path.join(modelsRoot(home), projectId, repo, `${version}.bin`);
}

export class TooLargeError extends RoroError {
  constructor(limit: number) {
    super(`The model is larger than the limit of ${limit} bytes.`, {
      status: 413,
      code: 'too_large',
      hint: 'Save a smaller model, or raise RORO_MODEL_MAX_BYTES on the server.',
    });
    this.name = 'TooLargeError';
  }
}

export interface StagedBlob {
  file: string;
  size: number;
  sha256: string;
}

/**
 * Streams a request body into a temporary file next to its final place, hashing as it goes; it
 * never holds the blob in memory. The caller renames it into place once the version is recorded.
 */
export async function stageBlob(
  dir: string,
  body: NodeJS.ReadableStream,
  opts: { maxBytes: number; length?: number; sha256?: string },
): Promise<StagedBlob> {
  if (opts.length !== undefined && opts.length > opts.maxBytes) throw new TooLargeError(opts.maxBytes);
  await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, `.upload-${crypto.randomBytes(8).toString('hex')}`);
  const hash = crypto.createHash('sha256');
  let size = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      size += chunk.length;
      if (size > opts.maxBytes) return done(new TooLargeError(opts.maxBytes));
      hash.update(chunk);
      done(null, chunk);
    },
  });
  try {
    const out = fs.createWriteStream(file, { mode: 0o600, flags: 'wx' });
    await pipeline(body, meter, out);
    const fh = await fsp.open(file, 'r');
    await fh.sync().finally(() => fh.close());
    const sha256 = hash.digest('hex');
    if (opts.length !== undefined && size !== opts.length)
      throw new ValidationError(`The upload ended after ${size} of ${opts.length} bytes; send it again.`);
    if (opts.sha256 && opts.sha256.toLowerCase() !== sha256)
      throw new ValidationError(
        'The model arrived corrupted: its sha256 does not match the X-Roro-Sha256 header; send it again.',
        { code: 'checksum_mismatch' },
      );
    return { file, size, sha256 };
  } catch (err) {
    await fsp.rm(file, { force: true });
    throw err;
  }
}

export async function discardBlob(staged: StagedBlob): Promise<void> {
  await fsp.rm(staged.file, { force: true });
}
