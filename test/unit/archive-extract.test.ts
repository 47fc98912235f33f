import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createWriteStream } from 'node:fs';
import {
  chmod,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { gzipSync } from 'node:zlib';
import { packProject } from '../../core/archive/pack.js';
import { extractArchive } from '../../core/archive/extract.js';
import type { ExtractOptions } from '../../core/archive/extract.js';
import { ConflictError, ValidationError } from '../../core/errors.js';
import { header, tarOf, type RawEntry } from '../helpers/raw-tar.js';

interface Sandbox {
  root: string;
  archive: string;
  parent: string;
  dest: string;
}

async function sandbox(): Promise<Sandbox> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'roro-extract-test-'));
  const parent = path.join(root, 'releases');
  await mkdir(parent);
  return { root, parent, archive: path.join(root, 'upload.tar.gz'), dest: path.join(parent, 'r1') };
}

/** Extraction must fail naming `entry`, leaving neither destDir nor a temp dir beside it. */
async function expectRejected(
  box: Sandbox,
  entry: string,
  opts: ExtractOptions = {},
  pattern?: RegExp,
): Promise<void> {
  await assert.rejects(extractArchive(box.archive, box.dest, opts), (err: Error) => {
    assert.ok(err instanceof ValidationError, `expected ValidationError, got ${err.name}: ${err.message}`);
    assert.ok(err.message.includes(JSON.stringify(entry)), `message should name ${entry}: ${err.message}`);
    if (pattern) assert.match(err.message, pattern);
    return true;
  });
  assert.deepEqual(await readdir(box.parent), []);
}

async function withArchive(entries: RawEntry[], run: (box: Sandbox) => Promise<void>): Promise<void> {
  const box = await sandbox();
  try {
    await writeFile(box.archive, gzipSync(tarOf(entries)));
    await run(box);
  } finally {
    await rm(box.root, { recursive: true, force: true });
  }
}

/** Every path under dir with its kind, sorted, to compare a tree before and after a round trip. */
async function tree(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const name of (await readdir(path.join(dir, rel))).sort()) {
    const child = rel === '' ? name : `${rel}/${name}`;
    const info = await lstat(path.join(dir, child));
    out.push(`${info.isDirectory() ? 'd' : info.isSymbolicLink() ? 'l' : 'f'} ${child}`);
    if (info.isDirectory()) out.push(...(await tree(dir, child)));
  }
  return out;
}

const ok: RawEntry = { name: 'app.py', body: Buffer.from('print(1)\n') };

void test('a packed project round-trips through extractArchive with safe modes', async () => {
  const box = await sandbox();
  const src = path.join(box.root, 'src');
  const files: Record<string, string> = {
    'app.py': 'print(1)\n',
    'pkg/__init__.py': '',
    'pkg/model.py': 'x = 2\n',
    'data/empty/.keep': '',
  };
  for (const [rel, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(src, rel)), { recursive: true });
    await writeFile(path.join(src, rel), content);
  }
  const longName = `${'d'.repeat(120)}/${'f'.repeat(120)}.txt`;
  await mkdir(path.join(src, 'd'.repeat(120)));
  await writeFile(path.join(src, longName), 'long');
  await writeFile(path.join(src, 'run.sh'), '#!/bin/sh\n', { mode: 0o4775 });
  await chmod(path.join(src, 'run.sh'), 0o4775);
  await symlink('pkg/model.py', path.join(src, 'model-link.py'));
  // Enough entries and bytes that the parser has to wait on the writer.
  await mkdir(path.join(src, 'many'));
  for (let i = 0; i < 300; i += 1) {
    files[`many/${i}.txt`] = `file ${i}\n`.repeat(i);
    await writeFile(path.join(src, `many/${i}.txt`), files[`many/${i}.txt`] ?? '');
  }
  const big = Buffer.alloc(3 * 1024 * 1024 + 17);
  for (let i = 0; i < big.length; i += 1) big[i] = (i * 7919) % 251;
  await writeFile(path.join(src, 'big.bin'), big);
  try {
    const packed = await packProject(src);
    const result = await extractArchive(packed.file, box.dest);
    await rm(packed.file);
    assert.deepEqual(result, { files: 307, bytes: packed.uncompressedBytes });
    assert.deepEqual(await tree(box.dest), await tree(src));
    assert.ok(big.equals(await readFile(path.join(box.dest, 'big.bin'))));
    for (const [rel, content] of Object.entries({ ...files, [longName]: 'long', 'run.sh': '#!/bin/sh\n' })) {
      assert.equal(await readFile(path.join(box.dest, rel), 'utf8'), content, rel);
    }
    assert.equal(await readlink(path.join(box.dest, 'model-link.py')), 'pkg/model.py');
    assert.equal((await stat(path.join(box.dest, 'run.sh'))).mode & 0o7777, 0o755);
    assert.equal((await stat(path.join(box.dest, 'app.py'))).mode & 0o7777, 0o644);
    assert.equal((await stat(path.join(box.dest, 'pkg'))).mode & 0o7777, 0o755);
    assert.equal((await stat(box.dest)).mode & 0o7777, 0o755);
    assert.deepEqual(await readdir(box.parent), ['r1']);
  } finally {
    await rm(box.root, { recursive: true, force: true });
  }
});

void test('extractArchive strips setuid, sticky and odd modes from hand-made entries', async () => {
  await withArchive(
    [
      { name: 'bin/', type: '5', mode: 0o1777 },
      { name: 'bin/tool', body: Buffer.from('x'), mode: 0o6711 },
      { name: 'secret', body: Buffer.from('y'), mode: 0o600 },
    ],
    async (box) => {
      await extractArchive(box.archive, box.dest);
      assert.equal((await stat(path.join(box.dest, 'bin'))).mode & 0o7777, 0o755);
      assert.equal((await stat(path.join(box.dest, 'bin/tool'))).mode & 0o7777, 0o755);
      assert.equal((await stat(path.join(box.dest, 'secret'))).mode & 0o7777, 0o644);
    },
  );
});

const malicious: Array<[string, RawEntry[], string, RegExp]> = [
  ['parent traversal', [ok, { name: '../evil', body: Buffer.from('x') }], '../evil', /'\.\.' segment/],
  [
    'nested traversal',
    [ok, { name: 'a/../../evil', body: Buffer.from('x') }],
    'a/../../evil',
    /'\.\.' segment/,
  ],
  ['absolute path', [ok, { name: '/etc/evil', body: Buffer.from('x') }], '/etc/evil', /absolute path/],
  ['symlink escape', [ok, { name: 'link', type: '2', linkname: '../../etc' }], 'link', /leads outside/],
  [
    'absolute symlink then write-through',
    [
      { name: 'a', type: '2', linkname: '/tmp' },
      { name: 'a/x', body: Buffer.from('x') },
    ],
    'a',
    /absolute path "\/tmp"/,
  ],
  [
    'write through an inside symlink',
    [
      { name: 'sub', type: '2', linkname: '.' },
      { name: 'sub/x', body: Buffer.from('x') },
    ],
    'sub/x',
    /written through the symlink "sub"/,
  ],
  [
    'symlink climbing out through another symlink',
    [
      { name: 'z/', type: '5' },
      { name: 'p/q/b', type: '2', linkname: '../../z' },
      { name: 'p/q/a', type: '2', linkname: 'b/../../..' },
    ],
    'p/q/a',
    /leads outside the destination/,
  ],
  [
    'hard link to /etc/passwd',
    [ok, { name: 'passwd', type: '1', linkname: '/etc/passwd' }],
    'passwd',
    /hard link/,
  ],
  ['hard link inside', [ok, { name: 'copy', type: '1', linkname: 'app.py' }], 'copy', /hard link/],
  ['character device', [ok, { name: 'null', type: '3' }], 'null', /CharacterDevice/],
  ['fifo', [ok, { name: 'pipe', type: '6' }], 'pipe', /FIFO/],
  ['duplicate file', [ok, { name: 'app.py', body: Buffer.from('again') }], 'app.py', /appears twice/],
  ['file under a file', [ok, { name: 'app.py/x', body: Buffer.from('x') }], 'app.py/x', /which is a file/],
];

for (const [label, entries, entry, pattern] of malicious) {
  void test(`extractArchive rejects ${label}, naming the entry and leaving nothing behind`, async () => {
    await withArchive(entries, (box) => expectRejected(box, entry, {}, pattern));
  });
}

void test('extractArchive rejects too many files', async () => {
  const entries = Array.from({ length: 30 }, (_, i) => ({ name: `f${i}.txt`, body: Buffer.from(String(i)) }));
  await withArchive(entries, (box) =>
    expectRejected(box, 'f10.txt', { maxFiles: 10 }, /limit of 10 entries/),
  );
});

void test('extractArchive rejects a total size over maxBytes', async () => {
  const entries = Array.from({ length: 8 }, (_, i) => ({
    name: `part${i}.bin`,
    body: Buffer.alloc(4096, 1),
  }));
  await withArchive(entries, (box) =>
    expectRejected(box, 'part4.bin', { maxBytes: 5 * 4096 - 1 }, /limit of 20479 bytes/),
  );
});

void test('extractArchive stops a 2 GiB gzip bomb early', async () => {
  const box = await sandbox();
  try {
    // Concatenated gzip members inflate as one stream: one header member, then 2048 copies of
    // a compressed MiB of zeros, so the 2 GiB bomb costs about 2 MiB on disk to make.
    const zeros = gzipSync(Buffer.alloc(1024 * 1024), { level: 9 });
    const out = createWriteStream(box.archive);
    out.write(gzipSync(header({ name: 'zeros.bin', size: 2 * 1024 * 1024 * 1024 })));
    for (let i = 0; i < 2048; i += 1) {
      if (!out.write(zeros)) await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');
    await expectRejected(box, 'zeros.bin', { maxBytes: 8 * 1024 * 1024 }, /past the limit of 8388608 bytes/);
    // With a byte limit above the declared size, the bytes counted while inflating stop it.
    await expectRejected(
      box,
      'zeros.bin',
      { maxBytes: 3 * 1024 * 1024 * 1024, maxRatio: 10 },
      /past its size limit/,
    );
  } finally {
    await rm(box.root, { recursive: true, force: true });
  }
});

void test('extractArchive rejects an unknown entry type and a nested gzip', async () => {
  await withArchive([ok, { name: 'weird', type: 'Z', body: Buffer.alloc(10) }], (box) =>
    expectRejected(box, 'weird', {}, /unsupported type/),
  );
  const box = await sandbox();
  try {
    await writeFile(box.archive, gzipSync(gzipSync(tarOf([ok]))));
    await assert.rejects(extractArchive(box.archive, box.dest), /another compressed archive/);
    await writeFile(box.archive, tarOf([ok]));
    await assert.rejects(extractArchive(box.archive, box.dest), /not a valid gzip/);
    assert.deepEqual(await readdir(box.parent), []);
  } finally {
    await rm(box.root, { recursive: true, force: true });
  }
});

void test('extractArchive rejects a corrupt header and a truncated archive', async () => {
  const box = await sandbox();
  try {
    const tar = tarOf([ok, { name: 'second.txt', body: Buffer.alloc(2000, 7) }]);
    const corrupt = Buffer.from(tar);
    corrupt[1024 + 5] = 0x41; // second header, checksum no longer matches
    await writeFile(box.archive, gzipSync(corrupt));
    await assert.rejects(extractArchive(box.archive, box.dest), ValidationError);
    await writeFile(box.archive, gzipSync(tar.subarray(0, 1024 + 512 + 1000)));
    await assert.rejects(extractArchive(box.archive, box.dest), ValidationError);
    assert.deepEqual(await readdir(box.parent), []);
  } finally {
    await rm(box.root, { recursive: true, force: true });
  }
});

void test('extractArchive refuses a destination that is not empty and accepts an empty one', async () => {
  await withArchive([ok], async (box) => {
    await mkdir(box.dest);
    await extractArchive(box.archive, box.dest);
    assert.equal((await lstat(path.join(box.dest, 'app.py'))).isFile(), true);
    await assert.rejects(extractArchive(box.archive, box.dest), ConflictError);
    assert.deepEqual(await readdir(box.parent), ['r1']);
  });
});
