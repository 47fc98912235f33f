import { constants } from 'node:fs';
import { chmod, mkdir, open, symlink } from 'node:fs/promises';
import path from 'node:path';
import type { ReadEntry } from 'tar';
import { ValidationError } from '../errors.js';
import { resolveLink } from './paths.js';

export interface ExtractLimits {
  maxBytes: number;
  maxFiles: number;
}

type Kind = 'dir' | 'file' | 'symlink';

const DIR_MODE = 0o755;

/** The error for a refused archive; the message names the entry, the details carry it. */
export function rejectEntry(name: string, problem: string): ValidationError {
  return new ValidationError(
    `Archive entry ${JSON.stringify(name)} ${problem}; the archive was rejected and nothing was extracted.`,
    {
      code: 'archive_rejected',
      details: { entry: name },
      hint: 'Package the project again with `roro deploy`.',
    },
  );
}

/** A rejection for size: its own code, so a caller can tell its limit from the others. */
function tooLarge(name: string, problem: string): ValidationError {
  const err = rejectEntry(name, problem);
  return Object.assign(err, { code: 'archive_too_large' });
}

/** Turns a header path into 'a/b/c' form, or null for the archive root itself. */
function safeRelative(raw: string, isDir: boolean): string | null {
  if (raw.includes('\0')) throw rejectEntry(raw, 'has a NUL byte in its path');
  if (raw.startsWith('/')) throw rejectEntry(raw, 'has an absolute path');
  const parts = raw.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw rejectEntry(raw, "has a '..' segment in its path");
  if (parts.length > 0) return parts.join('/');
  if (isDir) return null;
  throw rejectEntry(raw, 'has an empty path');
}

/**
 * Writes the entries of one archive into a fresh directory, one at a time and in archive order.
 * It never follows a link while writing: every parent is checked against the entries already
 * written (a file under a symlink is refused) and files are opened with O_EXCL | O_NOFOLLOW.
 */
export class EntryWriter {
  files = 0;
  bytes = 0;
  current = '';
  private entries = 0;
  private readonly kinds = new Map<string, Kind>();
  private readonly links: string[] = [];

  constructor(
    private readonly root: string,
    private readonly limits: ExtractLimits,
  ) {}

  async write(entry: ReadEntry): Promise<void> {
    this.current = entry.path;
    const rel = safeRelative(entry.path, entry.type === 'Directory');
    if (rel === null) return void entry.resume();
    const abs = path.join(this.root, rel);
    if (!abs.startsWith(this.root + path.sep))
      throw rejectEntry(entry.path, 'resolves outside the destination');
    switch (entry.type) {
      case 'File':
      case 'OldFile':
      case 'ContiguousFile':
        return this.writeFile(entry, rel, abs);
      case 'Directory':
        return this.makeDir(entry, rel, abs);
      case 'SymbolicLink':
        return this.makeSymlink(entry, rel, abs);
      case 'Link':
        throw rejectEntry(
          entry.path,
          `is a hard link to ${JSON.stringify(entry.linkpath ?? '')}, and hard links are not allowed`,
        );
      case 'CharacterDevice':
      case 'BlockDevice':
      case 'FIFO':
        throw rejectEntry(
          entry.path,
          `is a ${entry.type} entry; only files, directories and symlinks are allowed`,
        );
      default:
        throw rejectEntry(entry.path, `has the unsupported type ${entry.type}`);
    }
  }

  /** Re-checks every symlink on disk once the tree is complete, since later entries can change where a link leads. */
  async verifyLinks(): Promise<void> {
    for (const rel of this.links) {
      const verdict = await resolveLink(this.root, rel);
      if (verdict !== 'inside')
        throw rejectEntry(rel, `is a symlink whose target leads outside the destination (${verdict})`);
    }
  }

  private count(rel: string): void {
    this.entries += 1;
    if (this.entries > this.limits.maxFiles) {
      throw rejectEntry(rel, `exceeds the limit of ${this.limits.maxFiles} entries per archive`);
    }
  }

  private addBytes(rel: string, n: number): void {
    this.bytes += n;
    if (this.bytes > this.limits.maxBytes) {
      throw tooLarge(rel, `takes the archive past the limit of ${this.limits.maxBytes} bytes uncompressed`);
    }
  }

  /** Creates missing parents as plain directories; refuses to pass through a symlink or a file. */
  private async prepare(rel: string, kind: Kind): Promise<boolean> {
    const parts = rel.split('/');
    for (let i = 1; i < parts.length; i += 1) {
      const prefix = parts.slice(0, i).join('/');
      const existing = this.kinds.get(prefix);
      if (existing === 'symlink')
        throw rejectEntry(rel, `would be written through the symlink ${JSON.stringify(prefix)}`);
      if (existing === 'file')
        throw rejectEntry(rel, `is placed under ${JSON.stringify(prefix)}, which is a file`);
      if (existing === undefined) {
        this.count(prefix);
        await this.mkdirExact(path.join(this.root, prefix));
        this.kinds.set(prefix, 'dir');
      }
    }
    const existing = this.kinds.get(rel);
    if (existing === 'dir' && kind === 'dir') return false;
    if (existing !== undefined) throw rejectEntry(rel, 'appears twice in the archive');
    this.count(rel);
    this.kinds.set(rel, kind);
    return true;
  }

  private async mkdirExact(abs: string): Promise<void> {
    await mkdir(abs, { mode: DIR_MODE });
    await chmod(abs, DIR_MODE); // the umask may have cleared bits; modes must not depend on it
  }

  private async writeFile(entry: ReadEntry, rel: string, abs: string): Promise<void> {
    await this.prepare(rel, 'file');
    // Header sizes give an early refusal; the bytes counted below are what is enforced.
    if (this.bytes + entry.size > this.limits.maxBytes) {
      throw tooLarge(
        rel,
        `declares ${entry.size} bytes, past the limit of ${this.limits.maxBytes} bytes uncompressed`,
      );
    }
    const mode = (entry.mode ?? 0) & 0o111 ? 0o755 : 0o644;
    const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
    const handle = await open(abs, flags, 0o600);
    let written = 0;
    try {
      const chunks = (entry as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
      for (;;) {
        // A failed run destroys the entry, maybe while a chunk is being written: a destroyed stream
        // would never answer next() (the listeners it adds wait for events that will not come).
        if (entry.destroyed) break;
        const { value: chunk, done } = await chunks.next();
        if (done) break;
        written += chunk.length;
        this.addBytes(rel, chunk.length);
        await handle.write(chunk);
      }
      await handle.chmod(mode);
    } finally {
      await handle.close();
    }
    if (written !== entry.size) throw rejectEntry(rel, `is truncated (${written} of ${entry.size} bytes)`);
    this.files += 1;
  }

  private async makeDir(entry: ReadEntry, rel: string, abs: string): Promise<void> {
    if (await this.prepare(rel, 'dir')) await this.mkdirExact(abs);
    entry.resume();
  }

  private async makeSymlink(entry: ReadEntry, rel: string, abs: string): Promise<void> {
    const target = entry.linkpath ?? '';
    if (target === '' || target.includes('\0')) throw rejectEntry(rel, 'is a symlink without a valid target');
    if (path.isAbsolute(target))
      throw rejectEntry(rel, `is a symlink to the absolute path ${JSON.stringify(target)}`);
    const resolved = path.resolve(path.dirname(abs), target);
    if (resolved !== this.root && !resolved.startsWith(this.root + path.sep)) {
      throw rejectEntry(
        rel,
        `is a symlink to ${JSON.stringify(target)}, which leads outside the destination`,
      );
    }
    await this.prepare(rel, 'symlink');
    await symlink(target, abs);
    this.links.push(rel);
    entry.resume();
  }
}
