import { ValidationError } from '../../core/errors.js';

/** Bumped when the archive layout changes in a way an older `roro server restore` cannot read. */
export const BACKUP_FORMAT = 1;
export const MANIFEST_NAME = 'manifest.json';
export const DATABASE_DUMP = 'db/roro.pgdump';
export const TEMPORAL_DB = 'db/temporal.db';
/** Directories of RORO_HOME copied as they are, under home/ in the archive. */
export const HOME_SECTIONS = ['volumes', 'models', 'releases', 'secrets', 'tls'] as const;
export type HomeSection = (typeof HOME_SECTIONS)[number];

export interface ManifestEntry {
  path: string;
  kind: 'file' | 'dir' | 'symlink';
  size?: number;
  sha256?: string;
  target?: string;
}

export interface BackupManifest {
  format: number;
  roroVersion: string;
  createdAt: string;
  /** 'external' when TEMPORAL_ADDRESS pointed at a cluster whose history is not in the archive. */
  temporal: 'included' | 'external';
  /** Row counts at the time of the dump, for the report after a restore. */
  counts: Record<string, number>;
  sections: { name: string; files: number; bytes: number }[];
  entries: ManifestEntry[];
}

const problem = (message: string) =>
  new ValidationError(`The backup is not usable: ${message}.`, {
    code: 'backup_invalid',
    hint: 'Nothing was changed. Use an archive written by `roro server backup`, copied without changes.',
  });

/** Parses manifest.json and checks its shape and format version. */
export function parseManifest(text: string): BackupManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw problem(`${MANIFEST_NAME} is not JSON`);
  }
  const m = raw as Partial<BackupManifest>;
  if (typeof m !== 'object' || m === null || typeof m.format !== 'number')
    throw problem(`${MANIFEST_NAME} has no format version`);
  if (m.format > BACKUP_FORMAT)
    throw new ValidationError(
      `The backup has format ${m.format}; this roro reads format ${BACKUP_FORMAT} and older.`,
      { code: 'backup_too_new', hint: 'Restore it with the roro version that wrote it, or a newer one.' },
    );
  if (!Array.isArray(m.entries) || !m.entries.some((e) => e.path === DATABASE_DUMP))
    throw problem(`${MANIFEST_NAME} lists no database dump`);
  return m as BackupManifest;
}

/**
 * Compares what the archive holds with what its manifest promises: every entry listed, of the
 * same kind, size, sha256 and link target, and nothing more or less.
 */
export function checkAgainstManifest(manifest: BackupManifest, seen: ManifestEntry[]): void {
  const listed = new Map(manifest.entries.map((e) => [e.path, e]));
  for (const entry of seen) {
    const want = listed.get(entry.path);
    if (!want) throw problem(`${entry.path} is in the archive but not in its manifest`);
    if (want.kind !== entry.kind)
      throw problem(`${entry.path} is a ${entry.kind}, the manifest says ${want.kind}`);
    if (entry.kind === 'file' && (want.size !== entry.size || want.sha256 !== entry.sha256))
      throw problem(`${entry.path} does not match its sha256 in the manifest (changed or damaged)`);
    if (entry.kind === 'symlink' && want.target !== entry.target)
      throw problem(`${entry.path} points elsewhere than its manifest says`);
    listed.delete(entry.path);
  }
  const missing = [...listed.keys()];
  if (missing.length)
    throw problem(`${missing.length} entries of the manifest are missing, e.g. ${missing[0]}`);
}
