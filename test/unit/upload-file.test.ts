import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RoroError } from '../../core/errors.js';
import { receiveUploadFile, type UploadLimits } from '../../api/upload-file.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roro-upload-test-'));
test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A request body of these chunks. */
async function* body(...chunks: string[]): AsyncGenerator<Buffer> {
  for (const c of chunks) yield Buffer.from(c);
}

const sha = (s: string) => crypto.createHash('sha256').update(s).digest('hex');
const limits = (more: Partial<UploadLimits> = {}): UploadLimits => ({
  maxBytes: 10,
  tooLarge: (bytes) => new RoroError(`too large: ${bytes}`, { status: 413, code: 'too_large' }),
  again: 'Send it again.',
  ...more,
});
/** The names in the upload directory: a refused upload must leave none behind. */
const left = () => fs.readdirSync(dir).sort();

void test('a body arrives whole, with its size and SHA-256, and its permissions', async () => {
  const file = path.join(dir, 'ok');
  const got = await receiveUploadFile(body('hello ', 'world'), file, limits({ maxBytes: 11, length: 11 }), {
    mode: 0o644,
    sync: true,
  });
  assert.deepEqual(got, { bytes: 11, sha256: sha('hello world') });
  assert.equal(fs.readFileSync(file, 'utf8'), 'hello world');
  assert.equal(fs.statSync(file).mode & 0o777, 0o644 & ~process.umask());
  fs.rmSync(file);
});

void test('every refusal says what broke, with its code, and removes the file', async () => {
  const cases: [string, AsyncIterable<Buffer>, UploadLimits, number, string][] = [
    ['past the limit', body('123456', '789012'), limits(), 413, 'too_large'],
    ['announced past the limit', body('1'), limits({ length: 11 }), 413, 'too_large'],
    ['shorter than announced', body('1234'), limits({ length: 5 }), 400, 'size_mismatch'],
    ['longer than announced', body('12', '34'), limits({ length: 3 }), 400, 'size_mismatch'],
    ['damaged', body('1234'), limits({ sha256: sha('1235') }), 400, 'checksum_mismatch'],
  ];
  for (const [what, b, l, status, code] of cases) {
    await assert.rejects(
      receiveUploadFile(b, path.join(dir, 'refused'), l),
      (e: RoroError) => e.status === status && e.code === code,
      what,
    );
    assert.deepEqual(left(), [], what);
  }
  const damaged = await receiveUploadFile(
    body('x'),
    path.join(dir, 'd'),
    limits({ sha256: '0'.repeat(64) }),
  ).catch((e: RoroError) => e);
  assert.ok(damaged instanceof RoroError);
  assert.equal(damaged.hint, 'Send it again.');
  assert.match(damaged.message, /does not match 000000000000…: it was damaged on the way/);
});

void test('an announced SHA-256 in capitals matches', async () => {
  const file = path.join(dir, 'caps');
  await receiveUploadFile(body('abc'), file, limits({ sha256: sha('abc').toUpperCase() }));
  fs.rmSync(file);
});

void test('an existing file or a symbolic link is never written through', async () => {
  const existing = path.join(dir, 'existing');
  fs.writeFileSync(existing, 'keep');
  await assert.rejects(receiveUploadFile(body('new'), existing, limits()), { code: 'EEXIST' });
  assert.equal(fs.readFileSync(existing, 'utf8'), 'keep');
  const link = path.join(dir, 'link');
  fs.symlinkSync(existing, link);
  await assert.rejects(receiveUploadFile(body('new'), link, limits()), { code: 'EEXIST' });
  assert.equal(fs.readFileSync(existing, 'utf8'), 'keep');
  fs.rmSync(link);
  fs.rmSync(existing);
});

void test('a check on the open file refuses before a byte is written', async () => {
  const file = path.join(dir, 'checked');
  let written = false;
  async function* watched(): AsyncGenerator<Buffer> {
    written = true;
    yield Buffer.from('x');
  }
  await assert.rejects(
    receiveUploadFile(watched(), file, limits(), {
      opened: async () => {
        throw new RoroError('outside', { status: 400, code: 'path_outside_volume' });
      },
    }),
    { code: 'path_outside_volume' },
  );
  assert.equal(written, false);
  assert.deepEqual(left(), []);
});
