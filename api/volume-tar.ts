import { constants } from 'node:fs';
import { lstat, open, readdir, readlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { RoroError, ValidationError } from '../core/errors.js';
import { resolveLink } from '../core/archive/paths.js';
import { TAR_END, tarFile, tarHeaderBlocks, type TarEntryHeader } from '../core/archive/tar-writer.js';

/**
 * Streams a directory tree as an uncompressed tar, for `roro cp -r` in both directions. Unlike a
 * deploy package nothing is ignored, but only what extractArchive accepts is written: directories,
 * regular files and symlinks that stay inside the tree; everything else is reported through onSkip.
 * Files are opened with O_NOFOLLOW and, when `checkFd` is set (the server reading a volume that
 * containers can change at the same time), the opened descriptor is checked to lie inside the tree.
 */

const READ_CHUNK = 64 * 1024;
const MAX_ENTRIES = 50_000;

interface TreeOptions {
  onSkip?: (rel: string, why: string) => void;
  onBytes?: (n: number) => void;
  checkFd?: boolean;
}

interface Item {
  rel: string;
  kind: 'dir' | 'file' | 'symlink';
  size: number;
  mode: number;
  mtime: Date;
  linkpath?: string;
}

function header(item: Item): TarEntryHeader {
  return {
    path: item.rel,
    kind: item.kind,
    size: item.size,
    mode: item.mode,
    mtime: item.mtime,
    linkpath: item.linkpath,
  };
}

/** Refuses a descriptor that a swapped-in symlink made point outside the tree. */
export async function assertFdInside(handle: FileHandle, root: string, rel: string): Promise<void> {
  const actual = await readlink(`/proc/self/fd/${handle.fd}`).catch(() => undefined);
  if (actual !== undefined && !(actual === root || actual.startsWith(root + path.sep))) {
    throw new ValidationError(
      `${rel} changed into a link out of the volume while it was read; it was not sent.`,
      { code: 'path_outside_volume' },
    );
  }
}

async function* fileBlocks(root: string, item: Item, opts: TreeOptions): AsyncGenerator<Buffer> {
  const handle = await open(path.join(root, item.rel), constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    if (opts.checkFd) await assertFdInside(handle, root, item.rel);
    yield* tarFile(handle, header(item), {
      chunkBytes: READ_CHUNK,
      onBytes: opts.onBytes,
      onShrink: (rel) =>
        new RoroError(`${rel} shrank while it was copied; copy it again once it stops changing.`, {
          code: 'file_changed',
          status: 409,
        }),
    });
  } finally {
    await handle.close();
  }
}

async function* walk(
  root: string,
  rel: string,
  opts: TreeOptions,
  count: { n: number },
): AsyncGenerator<Item> {
  const names = (await readdir(path.join(root, rel))).sort();
  for (const name of names) {
    if (++count.n > MAX_ENTRIES)
      throw new ValidationError(`The directory has more than ${MAX_ENTRIES} entries; copy it in parts.`);
    const childRel = rel === '' ? name : `${rel}/${name}`;
    const st = await lstat(path.join(root, childRel)).catch(() => undefined);
    if (!st) continue; // removed while walking
    const base = { rel: childRel, mtime: st.mtime };
    if (st.isDirectory()) {
      yield { ...base, kind: 'dir', size: 0, mode: 0o755 };
      yield* walk(root, childRel, opts, count);
    } else if (st.isFile()) {
      yield { ...base, kind: 'file', size: st.size, mode: st.mode & 0o111 ? 0o755 : 0o644 };
    } else if (st.isSymbolicLink()) {
      const verdict = await resolveLink(root, childRel).catch(() => 'outside' as const);
      if (verdict === 'inside')
        yield {
          ...base,
          kind: 'symlink',
          size: 0,
          mode: 0o777,
          linkpath: await readlink(path.join(root, childRel)),
        };
      else opts.onSkip?.(childRel, `a symlink that leads outside the directory (${verdict})`);
    } else {
      opts.onSkip?.(childRel, 'not a file, directory or symlink');
    }
  }
}

/** The tar of everything under `root` (a real path), entries relative to it. */
export async function* tarTree(root: string, opts: TreeOptions = {}): AsyncGenerator<Buffer> {
  for await (const item of walk(root, '', opts, { n: 0 })) {
    if (item.kind === 'file') yield* fileBlocks(root, item, opts);
    else yield* tarHeaderBlocks(header(item));
  }
  yield TAR_END;
}

/** Sum of regular file sizes under root, for a progress bar; stops counting at MAX_ENTRIES. */
export async function treeBytes(root: string): Promise<number> {
  let total = 0;
  for await (const item of walk(root, '', {}, { n: 0 })) if (item.kind === 'file') total += item.size;
  return total;
}
