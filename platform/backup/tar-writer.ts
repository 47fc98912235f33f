import crypto from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { resolveLink } from '../../core/archive/paths.js';
import { TAR_END, tarBuffer, tarFile, tarHeaderBlocks } from '../../core/archive/tar-writer.js';
import { assertFdInside } from '../../api/volume-tar.js';
import type { ManifestEntry } from './manifest.js';

const READ_CHUNK = 256 * 1024;

/** One file, or a directory tree, put into the archive under `archivePath`. */
export interface BackupSource {
  archivePath: string;
  abs: string;
  /** Symlinks must resolve inside one of these directories (relative to the tree); others are left out. */
  linkRoots?: (rel: string) => string | undefined;
}

/**
 * Streams sources as tar blocks, hashing every file as it goes, and ends with the manifest built
 * from those hashes: what the manifest says is exactly what was written, even while files change.
 */
export class BackupTar {
  readonly entries: ManifestEntry[] = [];

  constructor(private readonly warn: (line: string) => void) {}

  async *stream(
    sources: BackupSource[],
    manifest: (entries: ManifestEntry[]) => Buffer,
  ): AsyncGenerator<Buffer> {
    for (const given of sources) {
      // Canonical, so the descriptor check compares like with like.
      const source = { ...given, abs: await fs.realpath(given.abs).catch(() => given.abs) };
      const info = await fs.lstat(source.abs).catch(() => undefined);
      if (info?.isDirectory()) yield* this.tree(source, '');
      else if (info?.isFile()) yield* this.file(source.abs, source.archivePath, info);
    }
    const body = manifest(this.entries);
    yield* tarBuffer(body, {
      path: 'manifest.json',
      kind: 'file',
      size: body.length,
      mode: 0o600,
      mtime: new Date(),
    });
    yield TAR_END;
  }

  private async *tree(source: BackupSource, rel: string): AsyncGenerator<Buffer> {
    const abs = path.join(source.abs, rel);
    const archivePath = rel === '' ? source.archivePath : `${source.archivePath}/${rel}`;
    const info = await fs.lstat(abs).catch(() => undefined);
    if (!info) return; // removed while the backup ran
    if (info.isDirectory()) {
      yield* tarHeaderBlocks({ path: archivePath, kind: 'dir', size: 0, mode: 0o755, mtime: info.mtime });
      this.entries.push({ path: archivePath, kind: 'dir' });
      const names = (await fs.readdir(abs).catch(() => [])).sort();
      for (const name of names) yield* this.tree(source, rel === '' ? name : `${rel}/${name}`);
    } else if (info.isFile()) {
      yield* this.file(abs, archivePath, info, source.linkRoots ? source.abs : undefined);
    } else if (info.isSymbolicLink()) {
      const root = source.linkRoots?.(rel);
      const target = await fs.readlink(abs);
      const inside =
        root !== undefined && (await resolveLink(path.join(source.abs, root), path.relative(root, rel)));
      if (inside !== 'inside' || path.isAbsolute(target)) {
        this.warn(`left out ${archivePath}: a symlink to ${target}, outside its volume`);
        return;
      }
      yield* tarHeaderBlocks({
        path: archivePath,
        kind: 'symlink',
        size: 0,
        mode: 0o777,
        mtime: info.mtime,
        linkpath: target,
      });
      this.entries.push({ path: archivePath, kind: 'symlink', target });
    } else {
      this.warn(`left out ${archivePath}: sockets, fifos and devices are not backed up`);
    }
  }

  /** Writes exactly `size` bytes: a file that grows is cut, one that shrinks is padded with zeros (and reported). */
  private async *file(
    abs: string,
    archivePath: string,
    info: Stats,
    within?: string,
  ): AsyncGenerator<Buffer> {
    const { size, mtime } = info;
    const handle = await fs.open(abs, constants.O_RDONLY | constants.O_NOFOLLOW).catch(() => undefined);
    if (!handle) return; // removed while the backup ran
    const hash = crypto.createHash('sha256');
    try {
      // Containers write volumes while the backup runs: a directory swapped for a link must not lead out.
      if (
        within &&
        !(await assertFdInside(handle, within, archivePath).then(
          () => true,
          () => false,
        ))
      ) {
        this.warn(`left out ${archivePath}: it changed into a link out of its volume while it was read`);
        return;
      }
      yield* tarFile(
        handle,
        { path: archivePath, kind: 'file', size, mode: info.mode & 0o777, mtime },
        {
          chunkBytes: READ_CHUNK,
          hash,
          onShrink: () => {
            this.warn(`${archivePath} shrank while it was copied; its end is zero-filled in the backup`);
            return undefined;
          },
        },
      );
    } finally {
      await handle.close();
    }
    this.entries.push({ path: archivePath, kind: 'file', size, sha256: hash.digest('hex') });
  }
}
