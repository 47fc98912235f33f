import { Header, Pax } from 'tar';
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
export function tarPadding(size: number): Buffer {
  return Buffer.alloc((512 - (size % 512)) % 512);
}
