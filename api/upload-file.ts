import crypto from 'node:crypto';
import { constants } from 'node:fs';
import fs, { type FileHandle } from 'node:fs/promises';
import { ValidationError, type RoroError } from '../core/errors.js';

/**
 * Every upload (a deploy's archive, a model, a file or directory copied to a volume) reaches disk
 * here: streamed into a new file, counted against its limit and hashed as it arrives, never held in
 * memory whole, and removed again when anything fails, so a refused upload leaves nothing behind.
 */

/** What one upload may be, and what its sender is told when it is not. */
export interface UploadLimits {
  /** The most bytes the file may take. */
  maxBytes: number;
  /** The error for a body past maxBytes, given the length it announced or else the bytes seen so far. */
  tooLarge: (bytes: number) => RoroError;
  /** The request's Content-Length, when it sent one: a body of another size is refused. */
  length?: number;
  /** The SHA-256 (hex) the sender announced: a body with another digest is refused. */
  sha256?: string;
  /** How to send it again (`Run roro cp again.`): the hint when the body arrived short or damaged. */
  again: string;
}

interface UploadFileOptions {
  /** Permissions of the new file (default 0o600). */
  mode?: number;
  /** Flush the file to disk before answering: for a file that is kept, not for one read once and removed. */
  sync?: boolean;
  /** Runs once the file is open, before a byte is written (to check where the file really lies). */
  opened?: (handle: FileHandle) => Promise<void>;
}

interface ReceivedFile {
  bytes: number;
  sha256: string;
}

/** Refuses a body whose announced length is already past the limit, before a byte of it is read. */
export function checkAnnouncedLength(limits: UploadLimits): void {
  if (limits.length !== undefined && limits.length > limits.maxBytes) throw limits.tooLarge(limits.length);
}

/** Passes the chunks on, counting and hashing them; stops at the limit or at more than was announced. */
async function* metered(
  body: AsyncIterable<Buffer>,
  limits: UploadLimits,
  hash: crypto.Hash,
): AsyncGenerator<Buffer> {
  let bytes = 0;
  for await (const chunk of body) {
    bytes += chunk.length;
    if (bytes > limits.maxBytes) throw limits.tooLarge(limits.length ?? bytes);
    if (limits.length !== undefined && bytes > limits.length)
      throw new ValidationError(`The upload sent more than the ${limits.length} bytes it announced.`, {
        code: 'size_mismatch',
        hint: limits.again,
      });
    hash.update(chunk);
    yield chunk;
  }
  if (limits.length !== undefined && bytes !== limits.length)
    throw new ValidationError(
      `The upload ended after ${bytes} of ${limits.length} bytes; nothing was written.`,
      { code: 'size_mismatch', hint: limits.again },
    );
}

/**
 * Streams a request body into `file`, which must not exist yet (nor be a symbolic link), and answers
 * its size and SHA-256; on any failure the file is removed and the error thrown.
 */
export async function receiveUploadFile(
  body: AsyncIterable<Buffer>,
  file: string,
  limits: UploadLimits,
  opts: UploadFileOptions = {},
): Promise<ReceivedFile> {
  checkAnnouncedLength(limits);
  const handle = await fs.open(
    file,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    opts.mode ?? 0o600,
  );
  const hash = crypto.createHash('sha256');
  let bytes = 0;
  try {
    await opts.opened?.(handle);
    for await (const chunk of metered(body, limits, hash)) {
      await handle.write(chunk);
      bytes += chunk.length;
    }
    if (opts.sync) await handle.sync();
    await handle.close();
    const sha256 = hash.digest('hex');
    const expected = limits.sha256?.toLowerCase();
    if (expected !== undefined && expected !== sha256)
      throw new ValidationError(
        `The upload's checksum ${sha256.slice(0, 12)}… does not match ${expected.slice(0, 12)}…: it was damaged on the way.`,
        { code: 'checksum_mismatch', hint: limits.again },
      );
    return { bytes, sha256 };
  } catch (err) {
    await handle.close().catch(() => undefined);
    await fs.rm(file, { force: true });
    throw err;
  }
}
