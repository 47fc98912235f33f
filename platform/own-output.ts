import type { RotatingLog } from './rotating-log.js';

type WriteCallback = (err?: Error | null) => void;

/**
 * Sends everything this process prints (console, warnings, stack traces of handled crashes) to a
 * size-rotating log instead of the inherited descriptor, which cannot be rotated from inside.
 */
export function captureOwnOutput(log: RotatingLog): void {
  for (const stream of [process.stdout, process.stderr]) {
    const write = (
      chunk: string | Uint8Array,
      encoding?: BufferEncoding | WriteCallback,
      callback?: WriteCallback,
    ): boolean => {
      log.write(
        typeof chunk === 'string'
          ? Buffer.from(chunk, typeof encoding === 'string' ? encoding : 'utf8')
          : chunk,
      );
      const done = typeof encoding === 'function' ? encoding : callback;
      if (done) process.nextTick(done);
      return true;
    };
    stream.write = write as typeof stream.write;
  }
}
