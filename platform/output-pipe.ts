import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { RotatingLog } from './rotating-log.js';

/** A partial line longer than this is written without waiting for its end. */
const MAX_HELD_LINE = 64 * 1024;

/**
 * A real pipe for one output stream of a child: `fd` is the write end to hand to the child (then
 * close it), `stream` reads it. Node's own `stdio: 'pipe'` is a socket pair, which programs cannot
 * reopen by name: nginx opens `/dev/stdout` for its access log, and that works only on a pipe or
 * file. The FIFO's name is removed at once; only the two open ends remain.
 */
export function outputPipe(dir: string): { fd: number; stream: net.Socket } {
  const fifo = path.join(dir, `output-${process.pid}-${randomBytes(6).toString('hex')}.fifo`);
  execFileSync('mkfifo', ['-m', '600', fifo]);
  try {
    // Opening the read end without blocking first lets the write end open at once.
    const readFd = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    const fd = fs.openSync(fifo, fs.constants.O_WRONLY);
    return { fd, stream: new net.Socket({ fd: readFd, readable: true, writable: false }) };
  } finally {
    fs.rmSync(fifo, { force: true });
  }
}

/**
 * Copies a stream into a log in whole lines, so a child's stdout and stderr sharing one log never
 * mix within a line; `redact` rewrites each batch of lines first. Resolves when the stream ends:
 * by then every byte the child wrote, its last words before a crash included, has been handed to
 * the log.
 */
export function copyLines(
  stream: Readable,
  log: RotatingLog,
  redact?: (text: string) => string,
): Promise<void> {
  let held: Buffer[] = [];
  let heldBytes = 0;
  const release = (extra: Buffer) => {
    const lines = Buffer.concat([...held, extra]);
    // Only a line with a `?` can carry a query string: the others are written as they came.
    log.write(redact && lines.includes(0x3f) ? Buffer.from(redact(lines.toString('utf8'))) : lines);
    held = [];
    heldBytes = 0;
  };
  return new Promise((resolve) => {
    stream.on('data', (chunk: Buffer) => {
      const end = chunk.lastIndexOf(10) + 1;
      if (end > 0) release(chunk.subarray(0, end));
      if (end < chunk.length) {
        held.push(chunk.subarray(end));
        heldBytes += chunk.length - end;
      }
      if (heldBytes > MAX_HELD_LINE) release(Buffer.alloc(0));
    });
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      if (heldBytes > 0) release(Buffer.from('\n'));
      resolve();
    };
    stream.once('end', finish);
    stream.once('close', finish);
    stream.once('error', finish);
  });
}
