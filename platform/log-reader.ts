import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

const NEWLINE = 10;
const CHUNK = 64 * 1024;
/** More rotated files than RORO_LOG_FILES allows are never kept. */
const MAX_ROTATED = 100;

/** A byte range of one log file. */
export interface LogRange {
  file: string;
  start: number;
  end: number;
}

/** The rotated files of a log that exist, newest first (`<file>.1`, `<file>.2`, ...). */
export function rotatedFiles(file: string): string[] {
  const found: string[] = [];
  for (let i = 1; i <= MAX_ROTATED && fs.existsSync(`${file}.${i}`); i++) found.push(`${file}.${i}`);
  return found;
}

/**
 * Walks back from `end` and returns where the last `n` lines before it begin, and how many it found
 * (fewer when the file starts first). A final line without its newline counts as a line.
 */
function lineStarts(fd: number, end: number, n: number): { start: number; found: number } {
  const buf = Buffer.alloc(CHUNK);
  let found = 0;
  let pos = end;
  while (pos > 0) {
    const len = Math.min(CHUNK, pos);
    pos -= len;
    fs.readSync(fd, buf, 0, len, pos);
    for (let i = len - 1; i >= 0; i--) {
      // a newline starts a line after it, unless it is the file's last byte
      if (buf[i] === NEWLINE && pos + i + 1 < end && ++found === n) return { start: pos + i + 1, found };
    }
  }
  return { start: 0, found: end > 0 ? found + 1 : 0 };
}

function withFd<T>(file: string, fn: (fd: number) => T): T | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return undefined;
  }
  try {
    return fn(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The byte ranges, oldest first, that hold the last `n` lines of a log across its rotations;
 * `currentEnd` bounds the current file (its size when the caller opened it to follow on).
 */
export function lastLineRanges(file: string, n: number, currentEnd?: number): LogRange[] {
  const ranges: LogRange[] = [];
  let need = n;
  for (const f of [file, ...rotatedFiles(file)]) {
    if (need <= 0) break;
    const found = withFd(f, (fd) => {
      const end = f === file && currentEnd !== undefined ? currentEnd : fs.fstatSync(fd).size;
      const at = lineStarts(fd, end, need);
      if (end > at.start) ranges.unshift({ file: f, start: at.start, end });
      return at.found;
    });
    need -= found ?? 0;
  }
  return ranges;
}

/** Copies byte ranges of files to `write`, in chunks. */
export function readRanges(ranges: LogRange[], write: (chunk: Buffer) => void): void {
  const buf = Buffer.alloc(CHUNK);
  for (const r of ranges) {
    withFd(r.file, (fd) => {
      for (let pos = r.start; pos < r.end;) {
        const n = fs.readSync(fd, buf, 0, Math.min(CHUNK, r.end - pos), pos);
        if (n === 0) break;
        write(Buffer.from(buf.subarray(0, n)));
        pos += n;
      }
    });
  }
}

/** The last `n` lines of a log across its rotations, for error messages. */
export function lastLines(file: string, n: number): string[] {
  const chunks: Buffer[] = [];
  readRanges(lastLineRanges(file, n), (c) => chunks.push(c));
  return Buffer.concat(chunks)
    .toString('utf8')
    .split('\n')
    .filter((l) => l.length > 0);
}

/** Whole rotated files newer than the one with inode `ino` (several rotations between two looks), oldest first. */
function rotatedSince(file: string, ino: number): LogRange[] {
  const rotated = rotatedFiles(file).map((f) => ({
    file: f,
    stat: fs.statSync(f, { throwIfNoEntry: false }),
  }));
  const at = rotated.findIndex((r) => r.stat?.ino === ino);
  return rotated
    .slice(0, Math.max(at, 0))
    .reverse()
    .map((r) => ({ file: r.file, start: 0, end: r.stat?.size ?? 0 }));
}

/**
 * Writes what is appended to a log from `position` of the already open `fd` on, forever (until
 * `signal` aborts). When the log rotates, the old file is read to its end (the writer closed it
 * before renaming it), then any file rotated since, and following goes on in the new one from its start.
 */
export async function followLog(
  file: string,
  fd: number,
  position: number,
  write: (chunk: Buffer) => void,
  opts: { intervalMs?: number; signal?: AbortSignal } = {},
): Promise<void> {
  const buf = Buffer.alloc(CHUNK);
  const drain = () => {
    for (
      let n = fs.readSync(fd, buf, 0, CHUNK, position);
      n > 0;
      n = fs.readSync(fd, buf, 0, CHUNK, position)
    ) {
      write(Buffer.from(buf.subarray(0, n)));
      position += n;
    }
  };
  try {
    while (!opts.signal?.aborted) {
      drain();
      let current: fs.Stats | undefined;
      try {
        current = fs.statSync(file);
      } catch {
        // between two renames of a rotation the name is missing for a moment
      }
      const ino = fs.fstatSync(fd).ino;
      if (current && current.ino !== ino) {
        drain();
        fs.closeSync(fd);
        readRanges(rotatedSince(file, ino), write);
        fd = fs.openSync(file, 'r');
        position = 0;
        continue;
      }
      await sleep(opts.intervalMs ?? 200, undefined, { signal: opts.signal }).catch(() => undefined);
    }
  } finally {
    fs.closeSync(fd);
  }
}
