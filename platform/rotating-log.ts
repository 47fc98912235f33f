import fs from 'node:fs';
import path from 'node:path';
import type { LogLimits } from '../core/log-limits.js';

const NEWLINE = 10;
/** Output held in memory while the disk is slow; beyond it output is dropped (and counted), never the writer blocked. */
const MAX_PENDING_BYTES = 8 * 1024 * 1024;

/** `<file>.1` ... `<file>.<files>`, newest first. */
export function rotatedNames(file: string, files: number): string[] {
  return Array.from({ length: files }, (_, i) => `${file}.${i + 1}`);
}

/**
 * An append-only log file that rotates by size: before a line would take `<name>.log` past
 * `maxBytes`, it becomes `<name>.log.1`, `.1` becomes `.2` and so on, and the oldest beyond `files`
 * is dropped. Files are cut only between lines, so a file exceeds the cap only by a line that was
 * begun in it or a single line longer than the cap. `write` never blocks: data queue in memory and
 * are written asynchronously, in order; `flush` waits until everything written so far is on disk.
 */
export class RotatingLog {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private dropped = 0;
  private dropReason = 'the disk did not keep up';
  private busy = false;
  private idle: (() => void)[] = [];
  private handle: fs.promises.FileHandle | undefined;
  private size = 0;
  private atLineStart = true;

  constructor(
    readonly file: string,
    private readonly limits: LogLimits,
    private readonly maxPendingBytes = MAX_PENDING_BYTES,
  ) {}

  write(data: string | Uint8Array): void {
    const buf = typeof data === 'string' ? Buffer.from(data) : Buffer.from(data);
    if (buf.length === 0) return;
    if (this.pendingBytes + buf.length > this.maxPendingBytes) {
      this.dropped += buf.length;
    } else {
      this.pending.push(buf);
      this.pendingBytes += buf.length;
    }
    if (!this.busy) {
      this.busy = true;
      void this.drain();
    }
  }

  /** Resolves once everything written before the call is in the file (or counted as dropped). */
  flush(): Promise<void> {
    if (!this.busy) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  /** Flushes and closes the file; a later write opens it again. */
  async close(): Promise<void> {
    await this.flush();
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close();
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0 || this.dropped > 0) {
      const batch = Buffer.concat([this.droppedNotice(), ...this.pending]);
      this.pending = [];
      this.pendingBytes = 0;
      try {
        await this.writeLines(batch);
      } catch (err) {
        // The next batch reopens the file and starts with a line saying what was lost and why.
        this.dropped += batch.length;
        this.dropReason = `writing ${this.file} failed: ${(err as Error).message}`;
        const handle = this.handle;
        this.handle = undefined;
        await handle?.close().catch(() => undefined);
        if (this.pending.length === 0) break;
      }
    }
    // No await between the loop's last check and here, so a write() never finds busy set with nobody draining.
    this.busy = false;
    for (const resolve of this.idle.splice(0)) resolve();
  }

  private droppedNotice(): Buffer {
    if (this.dropped === 0) return Buffer.alloc(0);
    const notice = `${this.atLineStart ? '' : '\n'}[roro] ${this.dropped} bytes of output were dropped: ${this.dropReason}\n`;
    this.dropped = 0;
    return Buffer.from(notice);
  }

  private async writeLines(batch: Buffer): Promise<void> {
    let rest = batch;
    while (rest.length > 0) {
      const handle = await this.open();
      const n = this.fitting(rest);
      if (n === 0) {
        await this.rotate();
        continue;
      }
      let written = 0;
      while (written < n) written += (await handle.write(rest, written, n - written)).bytesWritten;
      this.size += n;
      this.atLineStart = rest[n - 1] === NEWLINE;
      rest = rest.subarray(n);
    }
  }

  /** How many bytes of `buf` go into the current file; 0 means rotate first. */
  private fitting(buf: Buffer): number {
    const nl = buf.indexOf(NEWLINE);
    const firstLine = nl === -1 ? buf.length : nl + 1;
    // A line already begun is finished in the file that holds its start.
    if (!this.atLineStart) return firstLine;
    const room = this.limits.maxBytes - this.size;
    if (buf.length <= room) return buf.length;
    const wholeLines = room > 0 ? buf.lastIndexOf(NEWLINE, room - 1) + 1 : 0;
    if (wholeLines > 0) return wholeLines;
    // A line longer than the cap gets a file of its own rather than being split.
    return this.size === 0 ? firstLine : 0;
  }

  private async open(): Promise<fs.promises.FileHandle> {
    if (this.handle) return this.handle;
    await fs.promises.mkdir(path.dirname(this.file), { recursive: true });
    const handle = await fs.promises.open(this.file, 'a+');
    const { size } = await handle.stat();
    this.size = size;
    this.atLineStart = true;
    if (size > 0) {
      const last = Buffer.alloc(1);
      await handle.read(last, 0, 1, size - 1);
      this.atLineStart = last[0] === NEWLINE;
    }
    this.handle = handle;
    return handle;
  }

  private async rotate(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close();
    const names = [this.file, ...rotatedNames(this.file, this.limits.files)];
    for (let i = names.length - 2; i >= 0; i--) {
      await fs.promises.rename(names[i]!, names[i + 1]!).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
    }
  }
}
