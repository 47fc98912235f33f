import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gzipSync, createGzip } from 'node:zlib';
import { ValidationError } from '../../core/errors.js';
import { verifyBackup } from '../../platform/backup/verify.js';
import { checkEntry } from '../../platform/backup/entry-rules.js';
import { BackupTar } from '../../platform/backup/tar-writer.js';
import { restoreBackup } from '../../platform/backup/restore-backup.js';
import { BACKUP_FORMAT, type BackupManifest, type ManifestEntry } from '../../platform/backup/manifest.js';
import { parsePlatformEnv } from '../../core/config.js';
import { tarOf, type RawEntry } from '../helpers/raw-tar.js';

const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'roro-backup-test-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));
const tmp = () => fs.mkdtempSync(path.join(root, 'case-'));

const DUMP = Buffer.from('PGDMP fake dump');
const MODEL = Buffer.from('model bytes');

function manifestOf(entries: ManifestEntry[], over: Partial<BackupManifest> = {}): Buffer {
  const m: BackupManifest = {
    format: BACKUP_FORMAT,
    roroVersion: '0.1.0',
    createdAt: new Date().toISOString(),
    temporal: 'external',
    counts: {},
    sections: [],
    entries,
    ...over,
  };
  return Buffer.from(JSON.stringify(m));
}

/** A hand-made backup: raw tar entries, then a manifest describing `listed` (by default, exactly them). */
function writeBackup(dir: string, raw: RawEntry[], listed?: ManifestEntry[], over?: Partial<BackupManifest>) {
  const described: ManifestEntry[] =
    listed ??
    raw.map((e) =>
      e.type === '5'
        ? { path: e.name.replace(/\/$/, ''), kind: 'dir' }
        : e.type === '2'
          ? { path: e.name, kind: 'symlink', target: e.linkname }
          : { path: e.name, kind: 'file', size: e.body?.length ?? 0, sha256: sha(e.body ?? Buffer.alloc(0)) },
    );
  const file = path.join(dir, 'backup.tar.gz');
  const all = [...raw, { name: 'manifest.json', body: manifestOf(described, over) }];
  fs.writeFileSync(file, gzipSync(tarOf(all)));
  return file;
}

const good: RawEntry[] = [
  { name: 'db/roro.pgdump', body: DUMP },
  { name: 'home/models/', type: '5' },
  { name: 'home/models/1/clf/1.bin', body: MODEL },
];

async function refused(file: string, pattern: RegExp): Promise<void> {
  await assert.rejects(verifyBackup(file), (err: unknown) => {
    assert.ok(err instanceof ValidationError, String(err));
    assert.match(err.message, pattern);
    return true;
  });
}

test('a backup whose entries match its manifest is accepted', async () => {
  const manifest = await verifyBackup(writeBackup(tmp(), good));
  assert.equal(manifest.format, BACKUP_FORMAT);
  assert.deepEqual(
    manifest.entries.map((e) => e.path),
    ['db/roro.pgdump', 'home/models', 'home/models/1/clf/1.bin'],
  );
});

test('a file whose bytes changed after the backup is refused by its sha256', async () => {
  const listed: ManifestEntry[] = [
    { path: 'db/roro.pgdump', kind: 'file', size: DUMP.length, sha256: sha(DUMP) },
    { path: 'home/models', kind: 'dir' },
    {
      path: 'home/models/1/clf/1.bin',
      kind: 'file',
      size: MODEL.length,
      sha256: sha(Buffer.from('other bytes')),
    },
  ];
  await refused(writeBackup(tmp(), good, listed), /home\/models\/1\/clf\/1.bin does not match its sha256/);
});

test('an entry the manifest does not list, or a listed one that is missing, is refused', async () => {
  const extra = [...good, { name: 'home/volumes/1/data/x', body: Buffer.from('x') }];
  const onlyGood = (await verifyBackup(writeBackup(tmp(), good))).entries;
  await refused(
    writeBackup(tmp(), extra, onlyGood),
    /home\/volumes\/1\/data\/x is in the archive but not in its manifest/,
  );
  const listed: ManifestEntry[] = [
    { path: 'db/roro.pgdump', kind: 'file', size: DUMP.length, sha256: sha(DUMP) },
    { path: 'home/secrets/config-key', kind: 'file', size: 1, sha256: sha(Buffer.from('k')) },
  ];
  await refused(
    writeBackup(tmp(), [good[0]!], listed),
    /1 entries of the manifest are missing, e.g. home\/secrets\/config-key/,
  );
});

test('entries that would escape RORO_HOME are refused before anything is written', async () => {
  const cases: [RawEntry, RegExp][] = [
    [{ name: '../escape', body: Buffer.from('x') }, /'\.\.' segment/],
    [{ name: 'home/volumes/1/data/../../../../etc/x', body: Buffer.from('x') }, /'\.\.' segment/],
    [{ name: '/etc/cron.d/evil', body: Buffer.from('x') }, /absolute path/],
    [{ name: 'home/volumes/1/data/link', type: '2', linkname: '/etc' }, /absolute path/],
    [{ name: 'home/volumes/1/data/up', type: '2', linkname: '../notebooks/x' }, /leads out of its volume/],
    [{ name: 'home/secrets/link', type: '2', linkname: 'config-key' }, /symlink outside a volume/],
    [{ name: 'home/volumes/1/data/hard', type: '1', linkname: 'db/roro.pgdump' }, /hard link/],
    [{ name: 'home/volumes/1/data/dev', type: '3' }, /only files, directories and symlinks/],
    [{ name: 'postgres/PG_VERSION', body: Buffer.from('16') }, /not a place a backup writes to/],
  ];
  for (const [entry, pattern] of cases) {
    await refused(writeBackup(tmp(), [...good, entry]), pattern);
  }
});

test('a backup from a newer format, or without a manifest, is refused', async () => {
  await refused(
    writeBackup(tmp(), good, undefined, { format: BACKUP_FORMAT + 1 }),
    /this roro reads format 1/,
  );
  const dir = tmp();
  const file = path.join(dir, 'none.tar.gz');
  fs.writeFileSync(file, gzipSync(tarOf(good)));
  await refused(file, /has no manifest.json/);
  fs.writeFileSync(file, 'not gzip at all');
  await refused(file, /not a readable roro backup/);
});

test('symlinks inside a volume pass the path rules; the same link outside one does not', () => {
  assert.equal(
    checkEntry('home/volumes/1/data/a/link', 'SymbolicLink', '../b'),
    'home/volumes/1/data/a/link',
  );
  assert.throws(
    () => checkEntry('home/volumes/1/data/link', 'SymbolicLink', '../../2/data'),
    /leads out of its volume/,
  );
  assert.throws(
    () => checkEntry('home/tls/ca.key', 'SymbolicLink', 'gateway.key'),
    /symlink outside a volume/,
  );
});

test('the writer hashes what it writes, and a refused restore leaves RORO_HOME untouched', async () => {
  const dir = tmp();
  const src = path.join(dir, 'volumes');
  fs.mkdirSync(path.join(src, '1', 'data'), { recursive: true });
  fs.writeFileSync(path.join(src, '1', 'data', 'f.txt'), 'volume file');
  fs.symlinkSync('f.txt', path.join(src, '1', 'data', 'inside'));
  fs.symlinkSync('/etc/passwd', path.join(src, '1', 'data', 'outside'));
  fs.writeFileSync(path.join(dir, 'dump'), DUMP);
  const warnings: string[] = [];
  const writer = new BackupTar((l) => warnings.push(l));
  const file = path.join(dir, 'written.tar.gz');
  const stream = writer.stream(
    [
      { archivePath: 'db/roro.pgdump', abs: path.join(dir, 'dump') },
      {
        archivePath: 'home/volumes',
        abs: src,
        linkRoots: (rel) => rel.split('/').slice(0, 2).join('/'),
      },
    ],
    (entries) => manifestOf(entries),
  );
  await pipeline(Readable.from(stream), createGzip(), fs.createWriteStream(file));
  assert.match(warnings.join('\n'), /left out home\/volumes\/1\/data\/outside: a symlink to \/etc\/passwd/);
  const manifest = await verifyBackup(file);
  assert.deepEqual(
    manifest.entries.find((e) => e.path.endsWith('f.txt')),
    {
      path: 'home/volumes/1/data/f.txt',
      kind: 'file',
      size: 11,
      sha256: sha(Buffer.from('volume file')),
    },
  );
  assert.ok(manifest.entries.some((e) => e.kind === 'symlink' && e.target === 'f.txt'));

  const home = path.join(dir, 'home');
  const env = parsePlatformEnv({ RORO_HOME: home });
  const tampered = writeBackup(dir, [...good, { name: '../escape', body: Buffer.from('x') }]);
  await assert.rejects(
    restoreBackup(
      env,
      tampered,
      {},
      () => {},
      () => {},
    ),
    /'\.\.' segment/,
  );
  assert.equal(fs.existsSync(home), false, 'nothing created');
  assert.equal(fs.existsSync(path.join(dir, 'escape')), false);
});
