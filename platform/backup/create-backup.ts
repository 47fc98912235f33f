import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { homePaths, REPO_ROOT, type PlatformEnv } from '../../core/config.js';
import { ConfigError, ConflictError, RoroError } from '../../core/errors.js';
import { createPool, databaseHostPort } from '../../db/pool.js';
import { supervisorRunning } from '../control.js';
import { portAnswers } from '../proc.js';
import { readState } from '../state.js';
import { copySqlite, dumpDatabase } from './dump-tools.js';
import {
  BACKUP_FORMAT,
  DATABASE_DUMP,
  HOME_SECTIONS,
  TEMPORAL_DB,
  type BackupManifest,
  type ManifestEntry,
} from './manifest.js';
import { BackupTar, type BackupSource } from './tar-writer.js';

export interface BackupResult {
  file: string;
  bytes: number;
  manifest: BackupManifest;
}

/** Where the backup may go: an existing directory outside RORO_HOME, and no file there unless --force. */
function checkTarget(env: PlatformEnv, file: string, force: boolean): void {
  const dir = path.dirname(file);
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory())
    throw new ConfigError(
      `Directory ${dir} does not exist.`,
      `Create it (mkdir -p ${dir}) or write the backup elsewhere.`,
    );
  if (file === env.home || file.startsWith(env.home + path.sep))
    throw new ConfigError(
      `${file} is inside RORO_HOME (${env.home}), which the backup copies.`,
      'Write the backup outside RORO_HOME.',
    );
  if (fs.existsSync(file) && !force)
    throw new ConflictError(`${file} already exists.`, 'Choose another name, or add --force to replace it.');
}

async function checkRunning(env: PlatformEnv): Promise<void> {
  const up = supervisorRunning(env) !== undefined && readState(env.home)?.status === 'up';
  if (!up || !(await portAnswers(databaseHostPort(env).port, databaseHostPort(env).host)))
    throw new RoroError(
      `The platform in ${env.home} is not running; a backup is taken from the running platform.`,
      {
        status: 409,
        code: 'not_running',
        hint: 'Start it with `roro server up`, then run the backup again.',
      },
    );
}

async function rowCounts(env: PlatformEnv): Promise<Record<string, number>> {
  const db = createPool(env, 1);
  try {
    const counts: Record<string, number> = {};
    for (const table of ['users', 'projects', 'releases', 'model_versions', 'volumes', 'tasks']) {
      const res = await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
      counts[table] = Number(res.rows[0]?.n ?? 0);
    }
    return counts;
  } finally {
    await db.end();
  }
}

function sectionOf(entry: ManifestEntry): string {
  if (entry.path === DATABASE_DUMP) return 'database';
  if (entry.path === TEMPORAL_DB) return 'temporal';
  return entry.path.split('/')[1] ?? 'other';
}

function summarize(entries: ManifestEntry[]): BackupManifest['sections'] {
  const sections = new Map<string, { files: number; bytes: number }>();
  for (const e of entries) {
    if (e.kind !== 'file') continue;
    const s = sections.get(sectionOf(e)) ?? { files: 0, bytes: 0 };
    s.files += 1;
    s.bytes += e.size ?? 0;
    sections.set(sectionOf(e), s);
  }
  return [...sections].map(([name, s]) => ({ name, ...s }));
}

/** Symlinks in a volume may point only inside that volume (volumes/<projectId>/<volume>). */
const volumeOfRel = (rel: string) => {
  const parts = rel.split('/');
  return parts.length >= 3 ? parts.slice(0, 2).join('/') : undefined;
};

/** The database dump, the Temporal copy (embedded Temporal only) and the RORO_HOME sections. */
async function snapshotSources(
  env: PlatformEnv,
  stage: string,
  progress: (line: string) => void,
  warn: (line: string) => void,
): Promise<BackupSource[]> {
  const home = homePaths(env.home);
  progress('Dumping the platform database (pg_dump)');
  await dumpDatabase(env, path.join(stage, 'roro.pgdump'));
  const sources: BackupSource[] = [{ archivePath: DATABASE_DUMP, abs: path.join(stage, 'roro.pgdump') }];
  if (env.temporalExternal) {
    warn(
      `Temporal runs at ${env.temporalAddress} (TEMPORAL_ADDRESS): its workflow history and schedules are not in this backup.`,
    );
  } else {
    progress('Copying the Temporal database (SQLite online backup)');
    await copySqlite(home.temporalDb, path.join(stage, 'temporal.db'));
    sources.push({ archivePath: TEMPORAL_DB, abs: path.join(stage, 'temporal.db') });
  }
  for (const section of HOME_SECTIONS) {
    sources.push({
      archivePath: `home/${section}`,
      abs: home[section],
      ...(section === 'volumes' ? { linkRoots: volumeOfRel } : {}),
    });
  }
  return sources;
}

/**
 * Writes one archive of the running platform: the database first (pg_dump's snapshot), then the
 * Temporal database (SQLite online backup), then the files. Files are copied after the dump, so
 * every row in it finds its files; files added meanwhile are extra and harmless.
 */
export async function createBackup(
  env: PlatformEnv,
  target: string,
  opts: { force?: boolean },
  progress: (line: string) => void,
  warn: (line: string) => void,
): Promise<BackupResult> {
  const file = path.resolve(target);
  checkTarget(env, file, Boolean(opts.force));
  await checkRunning(env);
  const createdAt = new Date().toISOString();
  const stage = await fsp.mkdtemp(path.join(path.dirname(file), `.${path.basename(file)}.stage-`));
  const partial = `${file}.${crypto.randomBytes(4).toString('hex')}.partial`;
  try {
    await fsp.chmod(stage, 0o700);
    const sources = await snapshotSources(env, stage, progress, warn);
    const counts = await rowCounts(env);
    progress(`Writing ${file}`);
    let manifest: BackupManifest | undefined;
    const manifestOf = (entries: ManifestEntry[]) => {
      manifest = {
        format: BACKUP_FORMAT,
        roroVersion: roroVersion(),
        createdAt,
        temporal: env.temporalExternal ? 'external' : 'included',
        counts,
        sections: summarize(entries),
        entries,
      };
      return Buffer.from(JSON.stringify(manifest, null, 1));
    };
    await pipeline(
      Readable.from(new BackupTar(warn).stream(sources, manifestOf)),
      createGzip({ level: 3 }),
      fs.createWriteStream(partial, { flags: 'wx', mode: 0o600 }),
    );
    const fd = await fsp.open(partial, 'r');
    await fd.sync().finally(() => fd.close());
    await fsp.rename(partial, file);
    return { file, bytes: (await fsp.stat(file)).size, manifest: manifest! };
  } finally {
    await fsp.rm(partial, { force: true });
    await fsp.rm(stage, { recursive: true, force: true });
  }
}

function roroVersion(): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}
