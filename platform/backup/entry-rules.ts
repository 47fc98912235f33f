import path from 'node:path';
import { ValidationError } from '../../core/errors.js';
import { DATABASE_DUMP, HOME_SECTIONS, MANIFEST_NAME, TEMPORAL_DB } from './manifest.js';

/** Refused archive entry; restore stops before changing anything. */
export function refuseEntry(name: string, problem: string): ValidationError {
  return new ValidationError(`Backup entry ${JSON.stringify(name)} ${problem}; nothing was restored.`, {
    code: 'backup_rejected',
    details: { entry: name },
    hint: 'Use an archive written by `roro server backup`, copied without changes.',
  });
}

const FILES_AT_TOP = new Set([MANIFEST_NAME, DATABASE_DUMP, TEMPORAL_DB]);
const DIRS_AT_TOP = new Set(['db', 'home', ...HOME_SECTIONS.map((s) => `home/${s}`)]);

/** The volume directory (home/volumes/<projectId>/<volume>) an entry lies in, if any. */
export function volumeRootOf(rel: string): string | undefined {
  const parts = rel.split('/');
  return parts[0] === 'home' && parts[1] === 'volumes' && parts.length >= 4
    ? parts.slice(0, 4).join('/')
    : undefined;
}

/**
 * Checks one archive entry before anything is extracted: a plain relative path in a known
 * place, a file, directory or (inside a volume only) a symlink that stays in its volume.
 * Returns the normalised path.
 */
export function checkEntry(raw: string, type: string, linkpath?: string): string {
  if (raw.includes('\0')) throw refuseEntry(raw, 'has a NUL byte in its path');
  if (raw.startsWith('/')) throw refuseEntry(raw, 'has an absolute path');
  const parts = raw.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw refuseEntry(raw, "has a '..' segment in its path");
  const rel = parts.join('/');
  if (rel === '') throw refuseEntry(raw, 'has an empty path');
  const inSection = parts[0] === 'home' && HOME_SECTIONS.some((s) => s === parts[1]) && parts.length > 2;
  if (type === 'Directory') {
    if (!DIRS_AT_TOP.has(rel) && !inSection) throw refuseEntry(raw, 'is not a place a backup writes to');
    return rel;
  }
  if (type === 'File' || type === 'OldFile' || type === 'ContiguousFile') {
    if (!FILES_AT_TOP.has(rel) && !inSection) throw refuseEntry(raw, 'is not a place a backup writes to');
    return rel;
  }
  if (type === 'SymbolicLink') {
    const volume = volumeRootOf(rel);
    if (!volume || rel === volume) throw refuseEntry(raw, 'is a symlink outside a volume');
    const target = linkpath ?? '';
    if (target === '' || target.includes('\0')) throw refuseEntry(raw, 'is a symlink without a valid target');
    if (path.posix.isAbsolute(target)) throw refuseEntry(raw, `is a symlink to the absolute path ${target}`);
    const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(rel), target));
    if (resolved !== volume && !resolved.startsWith(`${volume}/`))
      throw refuseEntry(raw, `is a symlink to ${target}, which leads out of its volume`);
    return rel;
  }
  if (type === 'Link') throw refuseEntry(raw, `is a hard link to ${JSON.stringify(linkpath ?? '')}`);
  throw refuseEntry(raw, `has the type ${type}; a backup holds only files, directories and symlinks`);
}
