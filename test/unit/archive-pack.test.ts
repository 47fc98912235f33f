import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { list } from 'tar';
import { packProject } from '../../core/archive/pack.js';
import { sha256File, verifyChecksum } from '../../core/archive/checksum.js';
import { ValidationError } from '../../core/errors.js';

async function project(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'roro-pack-test-'));
  for (const [rel, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await writeFile(path.join(dir, rel), content);
  }
  return dir;
}

async function entries(file: string): Promise<string[]> {
  const names: string[] = [];
  await list({ file, onReadEntry: (e) => names.push(e.path) });
  return names;
}

void test('packProject honours .roroignore, its negations and the defaults, and always drops .git', async () => {
  const dir = await project({
    'app.py': 'print(1)\n',
    'data/big.csv': 'a,b\n',
    'debug.log': 'x',
    'keep.log': 'x',
    'node_modules/pkg/index.js': 'x',
    '__pycache__/app.cpython-311.pyc': 'x',
    'lib/util.pyc': 'x',
    '.venv/bin/python': 'x',
    '.git/HEAD': 'ref: refs/heads/main\n',
    'vendor/sub/.git': 'gitdir: ../.git/modules/sub\n',
    'vendor/sub/mod.py': 'x',
    '.roroignore': 'data/\n*.log\n!keep.log\n!node_modules/\n.git/\n!.git/\n',
  });
  try {
    const result = await packProject(dir);
    try {
      const names = await entries(result.file);
      assert.deepEqual(names, [
        '.roroignore',
        'app.py',
        'keep.log',
        'lib/',
        'node_modules/',
        'node_modules/pkg/',
        'node_modules/pkg/index.js',
        'vendor/',
        'vendor/sub/',
        'vendor/sub/mod.py',
      ]);
      assert.equal(result.files, 5);
      assert.equal(result.sha256, await sha256File(result.file));
      await verifyChecksum(result.file, result.sha256.toUpperCase());
      await assert.rejects(
        verifyChecksum(result.file, '0'.repeat(64)),
        /checksum mismatch: expected sha256 0{64}, got [0-9a-f]{64}/,
      );
    } finally {
      await rm(result.file, { force: true });
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

void test('packProject gives the same checksum for the same tree, whatever the mtimes', async () => {
  const dir = await project({ 'b.py': 'b', 'a.py': 'a', 'z/y/x.txt': 'deep', 'run.sh': '#!/bin/sh\n' });
  await chmod(path.join(dir, 'run.sh'), 0o755);
  await symlink('a.py', path.join(dir, 'alias.py'));
  try {
    const first = await packProject(dir);
    await utimes(path.join(dir, 'b.py'), new Date('2011-01-01'), new Date('2011-01-01'));
    const progress: number[] = [];
    const second = await packProject(dir, { onProgress: (n) => progress.push(n) });
    try {
      assert.equal(first.sha256, second.sha256);
      assert.equal(first.bytes, second.bytes);
      assert.equal(second.uncompressedBytes, 1 + 1 + 4 + 10);
      assert.equal(progress.at(-1), second.uncompressedBytes);
      assert.deepEqual(await entries(second.file), [
        'a.py',
        'alias.py',
        'b.py',
        'run.sh',
        'z/',
        'z/y/',
        'z/y/x.txt',
      ]);
    } finally {
      await rm(first.file, { force: true });
      await rm(second.file, { force: true });
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

void test('packProject refuses a project over maxBytes, naming the limit, .roroignore and the largest files', async () => {
  const dir = await project({
    'data/huge.csv': 'x'.repeat(5000),
    'data/mid.csv': 'x'.repeat(3000),
    'app.py': 'x',
  });
  try {
    await assert.rejects(packProject(dir, { maxBytes: 4096 }), (err: Error) => {
      assert.ok(err instanceof ValidationError);
      assert.match(err.message, /Project is 7\.8 KiB before compression, over the 4\.0 KiB deploy limit/);
      assert.match(err.message, /\.roroignore/);
      assert.match(err.message, /Largest files: data\/huge\.csv .*, data\/mid\.csv .*, app\.py/);
      return true;
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

void test('packProject refuses symlinks that leave the project, naming the link', async () => {
  const outside = await project({ 'secret.txt': 's' });
  const cases: Array<[string, string]> = [
    ['escape', '../../' + path.basename(outside) + '/secret.txt'],
    ['abs', path.join(outside, 'secret.txt')],
  ];
  for (const [name, target] of cases) {
    const dir = await project({ 'app.py': 'x' });
    await mkdir(path.join(dir, 'links'));
    await symlink(target, path.join(dir, 'links', name));
    try {
      await assert.rejects(packProject(dir), (err: Error) => {
        assert.ok(err instanceof ValidationError);
        assert.match(err.message, new RegExp(`Symlink links/${name} -> `));
        return true;
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  await rm(outside, { recursive: true, force: true });
});

void test('packProject refuses a link that climbs out through another link', async () => {
  const dir = await project({ 'z/file': 'x', 'p/q/keep': 'x' });
  // p/q/b -> ../../z is inside; p/q/a -> b/../../.. looks inside but climbs from z, out of the project.
  await symlink('../../z', path.join(dir, 'p/q/b'));
  await symlink('b/../../..', path.join(dir, 'p/q/a'));
  try {
    await assert.rejects(
      packProject(dir),
      /Symlink p\/q\/a -> b\/\.\.\/\.\.\/\.\. points outside the project/,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

void test('packProject skips sockets with a warning', async () => {
  const dir = await project({ 'app.py': 'x' });
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(path.join(dir, 'app.sock'), resolve));
  const warnings: string[] = [];
  try {
    const result = await packProject(dir, { onWarning: (m) => warnings.push(m) });
    await rm(result.file, { force: true });
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /app\.sock/);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  }
});

void test('packProject refuses a missing directory and a project with nothing left to deploy', async () => {
  const dir = await project({ 'notes.log': 'x', '.roroignore': '*.log\n.roroignore\n' });
  try {
    await assert.rejects(packProject(path.join(dir, 'nope')), /does not exist/);
    await assert.rejects(packProject(dir), /has nothing to deploy/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
