import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { RotatingLog, rotatedNames } from '../../platform/rotating-log.js';
import { copyLines } from '../../platform/output-pipe.js';

const dirs: string[] = [];
after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
const tmpLog = () => {
  dirs.push(fs.mkdtempSync(path.join(os.tmpdir(), 'roro-rotating-')));
  return path.join(dirs.at(-1)!, 'api.log');
};
const read = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '');
/** Oldest first: `.N` ... `.1`, then the current file. */
const allFiles = (file: string, files: number) => [...rotatedNames(file, files).reverse(), file];
const line = (i: number) => `line ${i} ${'x'.repeat(i % 97)}\n`;

test('rotates by size: no file past the cap, at most `files` rotated files, oldest dropped, lines in order', async () => {
  const file = tmpLog();
  const log = new RotatingLog(file, { maxBytes: 4096, files: 3 });
  const written = Array.from({ length: 2000 }, (_, i) => line(i));
  for (const l of written) log.write(l);
  await log.close();

  assert.equal(fs.existsSync(`${file}.4`), false, 'the oldest beyond RORO_LOG_FILES is dropped');
  const kept = allFiles(file, 3).map(read);
  for (const [i, text] of kept.entries()) {
    assert.ok(Buffer.byteLength(text) <= 4096, `file ${i} has ${Buffer.byteLength(text)} bytes`);
    assert.ok(text.endsWith('\n'), 'files end between lines');
  }
  // The rotated files were full: their next line would not have fitted.
  for (const text of kept.slice(0, 3)) assert.ok(Buffer.byteLength(text) > 4096 - 120);
  // What is kept is the newest lines, whole, contiguous and in order.
  const joined = kept.join('');
  assert.ok(joined.length > 3 * 4000);
  assert.equal(joined, written.slice(-joined.split('\n').length + 1).join(''));
});

test('no line is lost or split while the files can hold them, even written in pieces', async () => {
  const file = tmpLog();
  const log = new RotatingLog(file, { maxBytes: 4096, files: 60 });
  const written = Array.from({ length: 2000 }, (_, i) => line(i));
  for (const l of written) {
    // a line may arrive in pieces: it still lands whole in one file
    log.write(l.slice(0, 5));
    log.write(l.slice(5));
  }
  await log.flush();
  const files = allFiles(file, 60).filter((f) => fs.existsSync(f));
  assert.ok(files.length > 20);
  assert.equal(files.map(read).join(''), written.join(''));
  for (const f of files) assert.match(read(f), /^line \d+/);
  await log.close();
});

test('a line longer than the cap gets a file of its own, unsplit', async () => {
  const file = tmpLog();
  const log = new RotatingLog(file, { maxBytes: 4096, files: 5 });
  const long = `${'y'.repeat(10_000)}\n`;
  log.write('before\n');
  log.write(long);
  log.write('after\n');
  await log.close();
  assert.deepEqual([read(`${file}.2`), read(`${file}.1`), read(file)], ['before\n', long, 'after\n']);
});

test('an existing log is continued, and rotated when a line would pass the cap', async () => {
  const file = tmpLog();
  fs.writeFileSync(file, 'a'.repeat(4000) + '\n');
  const log = new RotatingLog(file, { maxBytes: 4096, files: 2 });
  log.write('fits\n');
  log.write(`${'b'.repeat(100)}\n`);
  await log.close();
  assert.equal(read(`${file}.1`), `${'a'.repeat(4000)}\nfits\n`);
  assert.equal(read(file), `${'b'.repeat(100)}\n`);
});

test('a writer faster than the disk loses the excess, never blocks, and the log says how much', async () => {
  const file = tmpLog();
  const log = new RotatingLog(file, { maxBytes: 1024 * 1024, files: 1 }, 1024);
  const chunk = `${'z'.repeat(99)}\n`;
  for (let i = 0; i < 100; i++) log.write(chunk); // all in one tick: the file is not even open yet
  await log.flush();
  log.write('later\n');
  await log.close();
  const text = read(file);
  const notice = /\[roro\] (\d+) bytes of output were dropped: the disk did not keep up\n/.exec(text);
  assert.ok(notice, text.slice(0, 300));
  const kept = text.split('\n').filter((l) => l === chunk.trimEnd()).length;
  assert.equal(Number(notice[1]), (100 - kept) * chunk.length, 'every byte is either kept or counted');
  assert.ok(text.endsWith('later\n'));
});

test('copyLines keeps lines of two streams whole and ends a last line without newline', async () => {
  const file = tmpLog();
  const log = new RotatingLog(file, { maxBytes: 1024 * 1024, files: 1 });
  const out = new PassThrough();
  const err = new PassThrough();
  const done = Promise.all([copyLines(out, log), copyLines(err, log)]);
  out.write('out one, ');
  err.write('err one, ');
  out.write('still out one\nout two');
  err.write('still err one\n');
  out.end(' and its end');
  err.end('err last words');
  await done;
  await log.close();
  assert.deepEqual(read(file).split('\n').sort(), [
    '',
    'err last words',
    'err one, still err one',
    'out one, still out one',
    'out two and its end',
  ]);
});
