import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { ValidationError } from '../errors.js';

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Streams a file through sha256 and returns the lowercase hex digest. */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) {
    hash.update(chunk as Buffer);
  }
  return hash.digest('hex');
}

/**
 * Checks that a file's sha256 equals the expected digest; throws a ValidationError on mismatch
 * so an upload corrupted in transit is never extracted.
 */
export async function verifyChecksum(file: string, expectedSha256: string): Promise<void> {
  const expected = expectedSha256.trim().toLowerCase();
  if (!SHA256_HEX.test(expected)) {
    throw new ValidationError(
      `Expected checksum "${expectedSha256}" is not a sha256 digest; send 64 hexadecimal characters.`,
      { code: 'checksum_invalid' },
    );
  }
  const actual = await sha256File(file);
  if (actual !== expected) {
    throw new ValidationError(
      `Archive checksum mismatch: expected sha256 ${expected}, got ${actual}; the upload was corrupted or changed, upload it again.`,
      { code: 'checksum_mismatch', hint: 'Run `roro deploy` again.' },
    );
  }
}
