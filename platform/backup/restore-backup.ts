import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { homePaths, type PlatformEnv } from '../../core/config.js';
import { ConfigError, ConflictError } from '../../core/errors.js';
import { extractArchive } from '../../core/archive/index.js';
import { resolveLink } from '../../core/archive/paths.js';
import { chownTree } from '../../api/volumes.js';
import { supervisorRunning } from '../control.js';
import { refuseEntry, volumeRootOf } from './entry-rules.js';
import { DATABASE_DUMP, HOME_SECTIONS, TEMPORAL_DB, type BackupManifest } from './manifest.js';
import { pendingDumpPath } from './pending-restore.js';
import { verifyBackup } from './verify.js';
import { checkExternalDatabaseEmpty } from './external-database.js';

export interface RestoreResult {
  manifest: BackupManifest;
  /** What existed in RORO_HOME and was replaced (only with --force). */
  replaced: string[];
}

/** What of a previous platform RORO_HOME holds; a restore over it needs --force. */
export function existingState(home: string): string[] {
  const p = homePaths(home);
  const found: string[] = [];
  if (fs.existsSync(path.join(p.postgres, 'PG_VERSION'))) found.push(`the platform database (${p.postgres})`);
  if (fs.existsSync(p.temporalDb)) found.push(`the Temporal database (${p.temporalDb})`);
  for (const section of ['volumes', 'models', 'releases'] as const) {
    const names = fs.existsSync(p[section]) ? fs.readdirSync(p[section]) : [];
    if (names.length) found.push(`${section} of ${names.length} project(s) (${p[section]})`);
  }
  return found;
}

async function checkPreconditions(env: PlatformEnv, file: string, force: boolean): Promise<string[]> {
  if (!fs.existsSync(file) || !fs.statSync(file).isFile())
    throw new ConfigError(
      `${file} does not exist or is not a file.`,
      'Give the path of an archive written by `roro server backup`.',
    );
  if (supervisorRunning(env) !== undefined)
    throw new ConflictError(
      `The platform in ${env.home} is running; a restore replaces its state and needs it stopped.`,
      'Stop it with `roro server down`, then restore.',
    );
  const existing = existingState(env.home);
  if (existing.length && !force)
    throw new ConflictError(
      `${env.home} already holds a platform: ${existing.join('; ')}.`,
      'Restore into an empty RORO_HOME, or add --force to replace all of it with the backup.',
    );
  if (env.externalDatabaseUrl) await checkExternalDatabaseEmpty(env);
  return existing;
}

/** Extraction already refused links leaving the archive; a volume's links must also stay in their volume. */
async function checkVolumeLinks(root: string, manifest: BackupManifest): Promise<void> {
  for (const entry of manifest.entries) {
    if (entry.kind !== 'symlink') continue;
    const volume = volumeRootOf(entry.path);
    if (!volume) throw refuseEntry(entry.path, 'is a symlink outside a volume');
    const verdict = await resolveLink(path.join(root, volume), path.posix.relative(volume, entry.path));
    if (verdict !== 'inside')
      throw refuseEntry(entry.path, `is a symlink that leads out of its volume (${verdict})`);
  }
}

/** Private state: directories 0700, files 0600 (the TLS certificates stay world-readable, as roro writes them). */
async function makePrivate(dir: string): Promise<void> {
  await fsp.chmod(dir, 0o700);
  for (const entry of await fsp.readdir(dir, { withFileTypes: true })) {
    const abs = path.join(dir, entry.name);
    if (entry.isDirectory()) await makePrivate(abs);
    else if (entry.isFile()) await fsp.chmod(abs, entry.name.endsWith('.crt') ? 0o644 : 0o600);
  }
}

async function replaceDir(from: string, to: string): Promise<void> {
  await fsp.rm(to, { recursive: true, force: true });
  if (fs.existsSync(from)) await fsp.rename(from, to);
}

/** Moves the checked, extracted backup into RORO_HOME, section by section. */
async function install(env: PlatformEnv, data: string, manifest: BackupManifest, warn: (l: string) => void) {
  const p = homePaths(env.home);
  const hasCluster = fs.existsSync(path.join(p.postgres, 'PG_VERSION'));
  for (const section of HOME_SECTIONS) {
    const from = path.join(data, 'home', section);
    if (section !== 'secrets') {
      await replaceDir(from, p[section]);
      continue;
    }
    await fsp.mkdir(p.secrets, { recursive: true, mode: 0o700 });
    for (const name of fs.existsSync(from) ? await fsp.readdir(from) : []) {
      // An existing cluster keeps the password it was created with; the backup's would lock roro out.
      if (name === 'postgres-password' && hasCluster) continue;
      await fsp.rm(path.join(p.secrets, name), { recursive: true, force: true });
      await fsp.rename(path.join(from, name), path.join(p.secrets, name));
    }
  }
  for (const section of ['secrets', 'tls', 'models', 'releases'] as const) {
    if (fs.existsSync(p[section])) await makePrivate(p[section]);
  }
  await fsp.mkdir(p.volumes, { recursive: true });
  await fsp.chmod(p.volumes, 0o711);
  // Volume files belong to the containers' user, as roro cp leaves them.
  for (const project of await fsp.readdir(p.volumes, { withFileTypes: true })) {
    if (!project.isDirectory()) continue;
    for (const volume of await fsp.readdir(path.join(p.volumes, project.name))) {
      await chownTree(path.join(p.volumes, project.name, volume));
    }
  }
  for (const suffix of ['', '-wal', '-shm']) await fsp.rm(`${p.temporalDb}${suffix}`, { force: true });
  if (manifest.temporal === 'included' && !env.temporalExternal) {
    await fsp.rename(path.join(data, TEMPORAL_DB), p.temporalDb);
    await fsp.chmod(p.temporalDb, 0o600);
  } else if (manifest.temporal === 'included') {
    warn(
      `TEMPORAL_ADDRESS is set: the Temporal history in the backup is left out; ${env.temporalAddress} keeps its own.`,
    );
  } else {
    warn(
      'The backup was taken with an external Temporal cluster: it holds no workflow history or schedules.',
    );
  }
  await fsp.mkdir(p.restore, { recursive: true, mode: 0o700 });
  await fsp.rename(path.join(data, DATABASE_DUMP), pendingDumpPath(env.home));
}

/**
 * Restores a backup into RORO_HOME while the platform is stopped. The whole archive is checked
 * against its manifest before anything is written, then extracted into a private staging
 * directory with the safe extractor, and only then moved into place. The database dump is
 * loaded by the supervisor at the next start (platform/backup/pending-restore.ts), into the
 * embedded cluster or, with RORO_DATABASE_URL, into that database, which must be empty.
 */
export async function restoreBackup(
  env: PlatformEnv,
  source: string,
  opts: { force?: boolean },
  progress: (line: string) => void,
  warn: (line: string) => void,
): Promise<RestoreResult> {
  const file = path.resolve(source);
  const replaced = await checkPreconditions(env, file, Boolean(opts.force));
  progress(`Checking ${file} against its manifest`);
  const manifest = await verifyBackup(file);
  await fsp.mkdir(env.home, { recursive: true });
  await fsp.chmod(env.home, 0o711);
  const stage = await fsp.mkdtemp(path.join(env.home, '.restore-'));
  try {
    await fsp.chmod(stage, 0o700);
    const data = path.join(stage, 'data');
    const bytes = manifest.entries.reduce((sum, e) => sum + (e.size ?? 0), 0);
    progress(`Extracting ${manifest.entries.length} entries`);
    await extractArchive(file, data, {
      maxBytes: bytes + 1024 * 1024,
      maxFiles: manifest.entries.length + 64,
    });
    await checkVolumeLinks(data, manifest);
    progress(`Installing into ${env.home}`);
    await install(env, data, manifest, warn);
    return { manifest, replaced };
  } finally {
    await fsp.rm(stage, { recursive: true, force: true });
  }
}
