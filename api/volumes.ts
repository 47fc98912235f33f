import fs from 'node:fs/promises';
import path from 'node:path';
import type { Pool } from 'pg';
import { ConflictError, NotFoundError, RoroError, ValidationError } from '../core/errors.js';
import { checkName } from '../core/names.js';
import { CONTAINER_UID, type Project } from './projects.js';
import { volumeDir } from '../core/config.js';

/**
 * Every server-side file access to a volume goes through this module: a user path is first
 * normalised lexically (no absolute paths, no `..`), then resolved with realpath and checked to stay
 * under the volume's own real path, so a symlink a container planted cannot lead out.
 */

export interface Volume {
  name: string;
  createdAt: string;
  /** Cluster mode: the node that holds the volume's files, where every container mounting it runs. */
  node?: { id: string; hostname: string };
}

/** `data:models/x.pkl` as users write it, for error messages. */
export const showPath = (volume: string, rel: string) => `${volume}:${rel}`;

function escapeError(volume: string, raw: string, why: string): ValidationError {
  return new ValidationError(`The path ${showPath(volume, raw)} ${why}: paths must stay inside the volume.`, {
    code: 'path_outside_volume',
    details: { path: raw },
    hint: `Use a path relative to the volume root, e.g. ${volume}:models/model.pkl.`,
  });
}

/** Paths inside a volume stay well under PATH_MAX (4096) once the volume's own directory is added. */
const MAX_VOLUME_PATH_BYTES = 3072;

/** Lexical check: returns `a/b/c` ('' for the root) or throws 400 naming the path. */
export function normalizeVolumePath(volume: string, raw: string): string {
  if (raw.includes('\0')) throw escapeError(volume, raw.replace(/\0/g, '\\0'), 'contains a NUL byte');
  if (raw.startsWith('/') || raw.startsWith('~')) throw escapeError(volume, raw, 'is absolute');
  const parts = raw.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw escapeError(volume, raw, "contains '..'");
  if (parts.some((p) => Buffer.byteLength(p) > 255))
    throw escapeError(volume, raw, 'has a name longer than 255 bytes');
  if (Buffer.byteLength(raw) > MAX_VOLUME_PATH_BYTES)
    throw new ValidationError(
      `The path ${showPath(volume, raw.slice(0, 60))}… is longer than ${MAX_VOLUME_PATH_BYTES} bytes.`,
      { code: 'path_too_long', hint: `Use a path of at most ${MAX_VOLUME_PATH_BYTES} bytes.` },
    );
  return parts.join('/');
}

export const isInside = (root: string, p: string) => p === root || p.startsWith(root + path.sep);

export interface Resolved {
  /** Real path of the volume root. */
  root: string;
  /** Path relative to the volume, as given (normalised). */
  rel: string;
  /** Real absolute path when it exists; otherwise the real deepest existing ancestor joined with the rest. */
  abs: string;
  exists: boolean;
}

/** Resolves a volume path through symlinks and refuses anything that ends up outside the volume. */
export async function resolveInVolume(volumeRoot: string, volume: string, raw: string): Promise<Resolved> {
  const rel = normalizeVolumePath(volume, raw);
  const root = await fs.realpath(volumeRoot).catch(() => {
    throw new NotFoundError(
      `Volume ${volume} has no directory on this server.`,
      'Run `roro volumes:add` again to recreate it.',
    );
  });
  const parts = rel === '' ? [] : rel.split('/');
  // Walk down from the deepest existing ancestor: realpath fails on the first missing component.
  for (let i = parts.length; i >= 0; i--) {
    const probe = path.join(root, ...parts.slice(0, i));
    let real: string;
    try {
      real = await fs.realpath(probe);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' && i > 0) {
        // A dangling symlink is not "missing": it must not be written through.
        const st = await fs.lstat(probe).catch(() => undefined);
        if (st?.isSymbolicLink()) throw escapeError(volume, raw, 'goes through a symlink that leads nowhere');
        continue;
      }
      if (code === 'ENAMETOOLONG')
        throw new ValidationError(
          `The path ${showPath(volume, raw.slice(0, 60))}… is too long for the file system.`,
          {
            code: 'path_too_long',
            hint: 'Use shorter names: at most 255 bytes a name.',
          },
        );
      if (code === 'ENOTDIR')
        throw new ValidationError(`The path ${showPath(volume, raw)} goes through a file.`, {
          code: 'not_a_directory',
        });
      throw err;
    }
    if (!isInside(root, real)) throw escapeError(volume, raw, 'leads outside the volume through a symlink');
    return { root, rel, abs: path.join(real, ...parts.slice(i)), exists: i === parts.length };
  }
  throw new RoroError('unreachable: the volume root always resolves');
}

/** Like resolveInVolume, for paths that must already exist. */
export async function resolveExisting(volumeRoot: string, volume: string, raw: string): Promise<Resolved> {
  const r = await resolveInVolume(volumeRoot, volume, raw);
  if (!r.exists)
    throw new NotFoundError(
      `${showPath(volume, r.rel)} does not exist.`,
      `Run roro volumes:ls ${volume} to see what is there.`,
    );
  return r;
}

/** Gives a file or directory to the runtime user, so containers can read and write what was copied. */
export async function chownForContainers(p: string): Promise<void> {
  if (process.getuid?.() === 0) await fs.lchown(p, CONTAINER_UID, CONTAINER_UID);
}

/** The same for a whole tree; the tree was just written by us, so it has no foreign links. */
export async function chownTree(p: string, budget = { left: 100_000 }): Promise<void> {
  if (process.getuid?.() !== 0 || budget.left-- <= 0) return;
  await fs.lchown(p, CONTAINER_UID, CONTAINER_UID);
  const st = await fs.lstat(p);
  if (!st.isDirectory()) return;
  for (const name of await fs.readdir(p)) await chownTree(path.join(p, name), budget);
}

export async function getVolume(db: Pool, project: Project, name: string): Promise<Volume> {
  const res = await db.query<{ name: string; created_at: Date }>(
    'SELECT name, created_at FROM volumes WHERE project_id = $1 AND name = $2',
    [project.id, name],
  );
  const row = res.rows[0];
  if (!row)
    throw new NotFoundError(
      `Volume ${name} not found in ${project.name}.`,
      'Run `roro volumes` to list the volumes.',
    );
  return { name: row.name, createdAt: row.created_at.toISOString() };
}

export async function addVolume(db: Pool, home: string, project: Project, rawName: unknown): Promise<Volume> {
  const name = checkName('volume', rawName);
  const ins = await db.query<{ created_at: Date }>(
    'INSERT INTO volumes (project_id, name) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING created_at',
    [project.id, name],
  );
  const row = ins.rows[0];
  if (!row)
    throw new ConflictError(`Volume ${name} already exists in ${project.name}.`, 'Choose another name.');
  const dir = volumeDir(home, project.id, name);
  await fs.mkdir(dir, { recursive: true, mode: 0o755 });
  await chownForContainers(dir);
  return { name, createdAt: row.created_at.toISOString() };
}

/**
 * Deletes a volume and its files. `running` names the project's running containers: every one of
 * them mounts every volume of the project, so any running container means the volume is in use.
 */
export async function removeVolume(
  db: Pool,
  home: string,
  project: Project,
  name: string,
  running: string[],
): Promise<void> {
  await getVolume(db, project, name);
  if (running.length) {
    throw new ConflictError(
      `Volume ${name} is in use by ${running.length} running container(s) of ${project.name}: ${running.slice(0, 5).join(', ')}.`,
      'Stop the services and jobs with `roro stop`, then remove the volume.',
      { containers: running },
    );
  }
  await db.query('DELETE FROM volumes WHERE project_id = $1 AND name = $2', [project.id, name]);
  await fs.rm(volumeDir(home, project.id, name), { recursive: true, force: true });
}

export interface DirEntry {
  name: string;
  type: 'file' | 'dir' | 'symlink' | 'other';
  mode: string;
  size: number;
  modifiedAt: string;
}

function modeString(st: { mode: number; isDirectory(): boolean; isSymbolicLink(): boolean }): string {
  const t = st.isDirectory() ? 'd' : st.isSymbolicLink() ? 'l' : '-';
  const bits = 'rwxrwxrwx';
  return t + [...bits].map((c, i) => ((st.mode >> (8 - i)) & 1 ? c : '-')).join('');
}

async function entry(abs: string, name: string): Promise<DirEntry> {
  const st = await fs.lstat(abs);
  const type = st.isFile() ? 'file' : st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : 'other';
  return { name, type, mode: modeString(st), size: st.size, modifiedAt: st.mtime.toISOString() };
}

const MAX_LIST = 10_000;

/** Lists a directory of a volume (or describes one file); symlinks are shown, never followed. */
export async function listVolumePath(
  volumeRoot: string,
  volume: string,
  raw: string,
): Promise<{ path: string; entries: DirEntry[]; truncated: boolean }> {
  const r = await resolveExisting(volumeRoot, volume, raw);
  const st = await fs.stat(r.abs);
  if (!st.isDirectory())
    return { path: r.rel, entries: [await entry(r.abs, path.basename(r.abs))], truncated: false };
  const names = (await fs.readdir(r.abs)).sort();
  const entries: DirEntry[] = [];
  for (const name of names.slice(0, MAX_LIST)) {
    const e = await entry(path.join(r.abs, name), name).catch(() => undefined); // deleted meanwhile
    if (e) entries.push(e);
  }
  return { path: r.rel, entries, truncated: names.length > MAX_LIST };
}
