import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { followLog, lastLineRanges, lastLines, readRanges } from '../../platform/log-reader.js';
import { RotatingLog } from '../../platform/rotating-log.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const dirs: string[] = [];
after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
const tmpLog = () => {
  dirs.push(fs.mkdtempSync(path.join(os.tmpdir(), 'roro-reader-')));
  return path.join(dirs.at(-1)!, 'gateway-access.log');
};

function tail(file: string, n: number): string {
  const chunks: Buffer[] = [];
  readRanges(lastLineRanges(file, n), (c) => chunks.push(c));
  return Buffer.concat(chunks).toString();
}

test('the last n lines span the rotated files, oldest first', () => {
  const file = tmpLog();
  fs.writeFileSync(`${file}.2`, 'a1\na2\n');
  fs.writeFileSync(`${file}.1`, 'b1\nb2\nb3\n');
  fs.writeFileSync(file, 'c1\nc2\n');
  assert.equal(tail(file, 1), 'c2\n');
  assert.equal(tail(file, 2), 'c1\nc2\n');
  assert.equal(tail(file, 4), 'b2\nb3\nc1\nc2\n');
  assert.equal(tail(file, 6), 'a2\nb1\nb2\nb3\nc1\nc2\n');
  assert.equal(tail(file, 100), 'a1\na2\nb1\nb2\nb3\nc1\nc2\n');
  assert.equal(tail(file, 0), '');
  assert.deepEqual(lastLines(file, 3), ['b3', 'c1', 'c2']);
});

test('a last line without newline counts, an empty current file is skipped, long files are read in chunks', () => {
  const file = tmpLog();
  const big = Array.from({ length: 30_000 }, (_, i) => `old ${i}`).join('\n') + '\n';
  fs.writeFileSync(`${file}.1`, big);
  fs.writeFileSync(file, 'partial');
  assert.equal(tail(file, 3), 'old 29998\nold 29999\npartial');
  fs.writeFileSync(file, '');
  assert.equal(tail(file, 2), 'old 29998\nold 29999\n');
  assert.equal(tail(file, 30_000), big);
});

test('following goes on in the new file after a rotation, losing and repeating nothing', async () => {
  const file = tmpLog();
  const log = new RotatingLog(file, { maxBytes: 4096, files: 3 });
  log.write('before following\n');
  await log.flush();
  const fd = fs.openSync(file, 'r');
  const stop = new AbortController();
  let seen = '';
  const following = followLog(file, fd, fs.fstatSync(fd).size, (c) => (seen += c.toString()), {
    intervalMs: 10,
    signal: stop.signal,
  });
  const lines = Array.from({ length: 300 }, (_, i) => `followed line ${i} ${'.'.repeat(i % 40)}\n`);
  for (const [i, l] of lines.entries()) {
    log.write(l);
    if (i % 50 === 0) await sleep(15);
  }
  await log.flush();
  assert.ok(fs.existsSync(`${file}.2`), 'rotated twice while followed');
  for (let i = 0; i < 200 && seen.length < lines.join('').length; i++) await sleep(10);
  stop.abort();
  await following;
  assert.equal(seen, lines.join(''));
  await log.close();
});

test('following misses nothing when the log rotated several times between two looks', async () => {
  const file = tmpLog();
  const log = new RotatingLog(file, { maxBytes: 4096, files: 5 });
  log.write('start\n');
  await log.flush();
  const fd = fs.openSync(file, 'r');
  const position = fs.fstatSync(fd).size;
  // Three files' worth between the follower's two looks (here: before its first).
  const lines = Array.from({ length: 400 }, (_, i) => `burst ${i} ${'-'.repeat(20)}\n`);
  for (const l of lines) log.write(l);
  await log.flush();
  assert.ok(fs.existsSync(`${file}.3`), 'rotated three times in one go');
  const stop = new AbortController();
  let seen = '';
  const following = followLog(file, fd, position, (c) => (seen += c.toString()), {
    intervalMs: 10,
    signal: stop.signal,
  });
  for (let i = 0; i < 200 && seen.length < lines.join('').length; i++) await sleep(10);
  stop.abort();
  await following;
  assert.equal(seen, lines.join(''));
  await log.close();
});
