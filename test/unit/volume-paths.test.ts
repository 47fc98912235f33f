import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { normalizeVolumePath, resolveInVolume } from '../../api/volumes.js';
import { tarTree } from '../../api/volume-tar.js';
import { extractArchive } from '../../core/archive/index.js';

function volume() {
  const base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'roro-vol-')));
  const root = path.join(base, 'data');
  fs.mkdirSync(path.join(root, 'models'), { recursive: true });
  fs.writeFileSync(path.join(root, 'models', 'm.pkl'), 'model');
  fs.writeFileSync(path.join(base, 'secret'), 'outside');
  fs.symlinkSync('/etc', path.join(root, 'etc'));
  fs.symlinkSync('../secret', path.join(root, 'up'));
  fs.symlinkSync('models', path.join(root, 'latest'));
  fs.symlinkSync('/nonexistent/x', path.join(root, 'dangling'));
  return { base, root };
}

test('lexical rules: relative paths only, no ..', () => {
  assert.equal(normalizeVolumePath('data', ''), '');
  assert.equal(normalizeVolumePath('data', './a//b/'), 'a/b');
  for (const bad of ['../x', 'a/../../x', 'a/..', '/etc/passwd', '~/x', 'a\0b']) {
    assert.throws(
      () => normalizeVolumePath('data', bad),
      (e: Error & { status?: number }) => e.status === 400 && e.message.includes('data:'),
    );
  }
});

test('symlinks are followed only while they stay inside the volume', async () => {
  const { base, root } = volume();
  const ok = await resolveInVolume(root, 'data', 'latest/m.pkl');
  assert.equal(ok.abs, path.join(root, 'models', 'm.pkl'));
  assert.ok(ok.exists);
  const missing = await resolveInVolume(root, 'data', 'new/dir/file');
  assert.deepEqual([missing.abs, missing.exists], [path.join(root, 'new', 'dir', 'file'), false]);
  for (const bad of ['etc/passwd', 'etc', 'up', 'dangling', 'dangling/x', 'etc/new-file']) {
    await assert.rejects(
      resolveInVolume(root, 'data', bad),
      (e: Error & { status?: number }) => e.status === 400 && e.message.includes(`data:${bad}`),
      bad,
    );
  }
  fs.rmSync(base, { recursive: true, force: true });
});

test('a tree streams as a tar that extracts to the same files, without links that leave it', async () => {
  const { base, root } = volume();
  fs.writeFileSync(path.join(root, 'run.sh'), '#!/bin/sh\n', { mode: 0o755 });
  const skipped: string[] = [];
  const archive = path.join(base, 'out.tar.gz');
  await pipeline(
    Readable.from(tarTree(root, { onSkip: (rel) => skipped.push(rel) })),
    createGzip(),
    fs.createWriteStream(archive),
  );
  const dest = path.join(base, 'copy');
  await extractArchive(archive, dest);
  assert.deepEqual(skipped.sort(), ['dangling', 'etc', 'up']);
  assert.equal(fs.readFileSync(path.join(dest, 'models', 'm.pkl'), 'utf8'), 'model');
  assert.equal(fs.readlinkSync(path.join(dest, 'latest')), 'models');
  assert.ok(fs.statSync(path.join(dest, 'run.sh')).mode & 0o100);
  fs.rmSync(base, { recursive: true, force: true });
});
