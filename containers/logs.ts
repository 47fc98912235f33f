import type { LogLine } from './driver.js';

/**
 * Docker multiplexes stdout and stderr of a container without a TTY into frames: 8-byte header
 * (stream type in byte 0, payload size big-endian in bytes 4..7) then the payload. Parsing the
 * frames in order, rather than demuxing into two streams, keeps stdout and stderr interleaved as
 * they were written.
 */
export async function* demuxLines(
  chunks: AsyncIterable<Buffer | string>,
  opts: { timestamps?: boolean } = {},
): AsyncGenerator<LogLine> {
  let pending = Buffer.alloc(0);
  const partial: Record<LogLine['stream'], string> = { stdout: '', stderr: '' };

  function* emit(stream: LogLine['stream'], text: string): Generator<LogLine> {
    const parts = (partial[stream] + text).split('\n');
    partial[stream] = parts.pop() ?? '';
    for (const raw of parts) yield toLine(stream, raw, opts.timestamps === true);
  }

  for await (const chunk of chunks) {
    pending = Buffer.concat([pending, typeof chunk === 'string' ? Buffer.from(chunk) : chunk]);
    while (pending.length >= 8) {
      const size = pending.readUInt32BE(4);
      if (pending.length < 8 + size) break;
      const stream = pending[0] === 2 ? 'stderr' : 'stdout';
      const payload = pending.subarray(8, 8 + size).toString('utf8');
      pending = pending.subarray(8 + size);
      yield* emit(stream, payload);
    }
  }
  for (const stream of ['stdout', 'stderr'] as const) {
    if (partial[stream] !== '') yield toLine(stream, partial[stream], opts.timestamps === true);
  }
}

function toLine(stream: LogLine['stream'], raw: string, timestamps: boolean): LogLine {
  const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
  if (!timestamps) return { stream, line: text };
  const space = text.indexOf(' ');
  if (space === -1) return { stream, line: text };
  return { stream, line: text.slice(space + 1), ts: text.slice(0, space) };
}

/** Wraps a single Buffer (dockerode's non-follow logs reply) as an async iterable. */
export async function* once(buffer: Buffer): AsyncGenerator<Buffer> {
  yield buffer;
}

/** Docker's RFC 3339 time with nine fractional digits, so strings sort as times. */
export function fixedNanos(iso: string): string {
  const m = /^(.{19})(?:\.(\d+))?Z$/.exec(iso);
  if (!m) return iso;
  return `${m[1]}.${(m[2] ?? '').padEnd(9, '0').slice(0, 9)}Z`;
}

/** The engine's `since` parameter for "after this line": seconds.nanoseconds. */
export function sinceParam(dts: string): string {
  const secs = Math.floor(Date.parse(`${dts.slice(0, 19)}Z`) / 1000);
  return `${secs}.${fixedNanos(dts).slice(20, 29)}`;
}
