import crypto from 'node:crypto';
import fs from 'node:fs';
import { createGunzip } from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';
import { ValidationError } from '../../core/errors.js';
import { checkEntry, refuseEntry } from './entry-rules.js';
import {
  checkAgainstManifest,
  MANIFEST_NAME,
  parseManifest,
  type BackupManifest,
  type ManifestEntry,
} from './manifest.js';

const MAX_MANIFEST_BYTES = 64 * 1024 * 1024;

function unreadable(file: string, why: string): ValidationError {
  return new ValidationError(`${file} is not a readable roro backup (${why}).`, {
    code: 'backup_invalid',
    hint: 'Nothing was changed. Use a .tar.gz written by `roro server backup`.',
  });
}

/**
 * Reads the whole archive once without writing anything: every entry must pass the path rules
 * and match the manifest (kind, size, sha256, link target). Returns the manifest.
 */
export async function verifyBackup(file: string): Promise<BackupManifest> {
  const seen: ManifestEntry[] = [];
  let manifestText: string | undefined;
  let failure: Error | undefined;
  const parser = new Parser({ strict: true, brotli: false, zstd: false });
  parser.on('entry', (entry: ReadEntry) => {
    try {
      if (failure) return void entry.resume();
      const rel = checkEntry(entry.path, entry.type, entry.linkpath);
      if (rel === MANIFEST_NAME) {
        if (entry.size > MAX_MANIFEST_BYTES) throw unreadable(file, 'its manifest is too large');
        const chunks: Buffer[] = [];
        entry.on('data', (c: Buffer) => chunks.push(c));
        entry.on('end', () => (manifestText = Buffer.concat(chunks).toString('utf8')));
        return;
      }
      if (entry.type === 'Directory') seen.push({ path: rel, kind: 'dir' });
      else if (entry.type === 'SymbolicLink')
        seen.push({ path: rel, kind: 'symlink', target: entry.linkpath });
      else {
        const hash = crypto.createHash('sha256');
        let size = 0;
        entry.on('data', (c: Buffer) => {
          size += c.length;
          hash.update(c);
        });
        entry.on('end', () => seen.push({ path: rel, kind: 'file', size, sha256: hash.digest('hex') }));
        return;
      }
      entry.resume();
    } catch (err) {
      failure ??= err as Error;
      entry.resume();
    }
  });
  parser.on('ignoredEntry', (entry: ReadEntry) => {
    failure ??= refuseEntry(entry.path, `has the unsupported type ${entry.type}`);
  });
  parser.on('error', (err: Error) => (failure ??= unreadable(file, err.message)));
  const ended = new Promise<void>((resolve) => parser.once('end', () => resolve()));
  try {
    const gunzip = fs.createReadStream(file).pipe(createGunzip());
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      parser.write(chunk);
      if (failure) break;
    }
  } catch (err) {
    throw unreadable(file, (err as Error).message);
  }
  if (failure) throw failure;
  parser.end();
  await ended;
  if (failure) throw failure;
  if (manifestText === undefined) throw unreadable(file, `it has no ${MANIFEST_NAME}`);
  const manifest = parseManifest(manifestText);
  checkAgainstManifest(manifest, seen);
  return manifest;
}
