import { Header, Pax } from 'tar';
import type { FileHandle } from 'node:fs/promises';
import type { HeaderData } from 'tar';

export interface TarEntryHeader {
  /** '/'-separated path inside the archive, without a trailing slash. */
  path: string;
  kind: 'dir' | 'file' | 'symlink';
  size: number;
  mode: number;
  mtime: Date;
  linkpath?: string;
}

/** Two zero blocks end a tar archive. */
export const TAR_END = Buffer.alloc(1024);

/** The header block of one entry; paths over ustar's 100+155 bytes travel in a pax record just before it. */
export function tarHeaderBlocks(entry: TarEntryHeader): Buffer[] {
  const data: HeaderData = {
    path: entry.kind === 'dir' ? `${entry.path}/` : entry.path,
    mode: entry.mode,
    uid: 0,
    gid: 0,
    size: entry.kind === 'file' ? entry.size : 0,
    mtime: entry.mtime,
    type: entry.kind === 'dir' ? 'Directory' : entry.kind === 'file' ? 'File' : 'SymbolicLink',
    linkpath: entry.linkpath ?? '',
    uname: '',
    gname: '',
  };
  const block = Buffer.alloc(512);
  const header = new Header(data);
  header.encode(block, 0);
  if (!header.needPax) return [block];
  return [new Pax({ path: data.path, linkpath: entry.linkpath }).encode(), block];
}

/** Zero bytes that fill a file's last block. */
function tarPadding(size: number): Buffer {
  return Buffer.alloc((512 - (size % 512)) % 512);
}

interface FileBodyOptions {
  /** Bytes read at a time. */
  chunkBytes?: number;
  /** Told of every chunk read, for progress. */
  onBytes?: (n: number) => void;
  /** Sees every byte written, zero fill included. */
  hash?: { update(chunk: Buffer): unknown };
  /**
   * A file that ended before its announced size: throw the returned error, or, when undefined,
   * fill its end with zeros so the archive stays whole (the caller reports it).
   */
  onShrink: (path: string) => Error | undefined;
}

/**
 * One regular file as tar blocks: its header, exactly `entry.size` bytes read from the open handle
 * (a file that grows meanwhile is cut at that size) and the padding of its last block. The one way
 * roro writes a file into a tar: deploy packages, volume copies and platform backups.
 */
export async function* tarFile(
  handle: FileHandle,
  entry: TarEntryHeader,
  opts: FileBodyOptions,
): AsyncGenerator<Buffer> {
  yield* tarHeaderBlocks(entry);
  const chunkBytes = opts.chunkBytes ?? 64 * 1024;
  let left = entry.size;
  let shrank = false;
  while (left > 0) {
    const buf = Buffer.alloc(Math.min(chunkBytes, left));
    const { bytesRead } = await handle.read(buf, 0, buf.length, null);
    if (bytesRead === 0 && !shrank) {
      const err = opts.onShrink(entry.path);
      if (err) throw err;
      shrank = true;
    }
    const chunk = bytesRead === 0 ? buf : bytesRead === buf.length ? buf : buf.subarray(0, bytesRead);
    left -= chunk.length;
    if (bytesRead > 0) opts.onBytes?.(bytesRead);
    opts.hash?.update(chunk);
    yield chunk;
  }
  const pad = tarPadding(entry.size);
  if (pad.length > 0) yield pad;
}

/** A file whose whole content is in memory (a manifest) as tar blocks. */
export function* tarBuffer(body: Buffer, entry: TarEntryHeader): Generator<Buffer> {
  yield* tarHeaderBlocks({ ...entry, kind: 'file', size: body.length });
  yield body;
  const pad = tarPadding(body.length);
  if (pad.length > 0) yield pad;
}
