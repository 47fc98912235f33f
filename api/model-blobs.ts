import crypto from 'node:crypto';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { homePaths } from '../core/config.js';
import { RoroError } from '../core/errors.js';
import { checkAnnouncedLength, receiveUploadFile } from './upload-file.js';

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

class TooLargeError extends RoroError {
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
  body: AsyncIterable<Buffer>,
  opts: { maxBytes: number; length?: number; sha256?: string },
): Promise<StagedBlob> {
  const limits = {
    ...opts,
    tooLarge: () => new TooLargeError(opts.maxBytes),
    again: 'Send the model again.',
  };
  checkAnnouncedLength(limits);
  await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, `.upload-${crypto.randomBytes(8).toString('hex')}`);
  const { bytes, sha256 } = await receiveUploadFile(body, file, limits, { sync: true });
  return { file, size: bytes, sha256 };
}

export async function discardBlob(staged: StagedBlob): Promise<void> {
  await fsp.rm(staged.file, { force: true });
}
