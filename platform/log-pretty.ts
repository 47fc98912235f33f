import { StringDecoder } from 'node:string_decoder';

/** Fields every JSON log line has, shown in the fixed part of a pretty line. */
const FIXED = new Set(['time', 'level', 'name', 'msg']);

function valueText(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** A request line of the API (api/request-log.ts) as `GET /v1/projects/:name 200 12.5ms user`. */
function requestText(f: Record<string, unknown>): string {
  const who = typeof f.user === 'string' ? ` ${f.user}` : '';
  const aborted = f.aborted ? ' (client went away)' : '';
  return `${valueText(f.method)} ${valueText(f.route ?? '(no route)')} ${valueText(f.status)} ${valueText(f.durationMs)}ms${who}${aborted}`;
}

/**
 * One log line for a terminal: a JSON line of the platform's logger becomes
 * `time LEVEL name message key=value ...` (an error's stack on the lines below); any other line
 * (PostgreSQL's, Temporal's, nginx's) is returned as it is.
 */
export function prettyLine(line: string): string {
  if (!line.startsWith('{')) return line;
  let f: Record<string, unknown>;
  try {
    f = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  if (typeof f.msg !== 'string' || typeof f.time !== 'string') return line;
  const level = valueText(f.level ?? '').toUpperCase();
  const head = `${f.time} ${level.padEnd(5)} ${valueText(f.name ?? '')}`;
  if (f.msg === 'request' && 'route' in f) return `${head} ${requestText(f)}`;
  const err = f.err as { stack?: unknown } | undefined;
  const rest = Object.entries(f)
    .filter(([k]) => !FIXED.has(k) && k !== 'err')
    .map(([k, v]) => ` ${k}=${valueText(v)}`)
    .join('');
  const stack = typeof err?.stack === 'string' ? `\n    ${err.stack.split('\n').join('\n    ')}` : '';
  return `${head} ${f.msg}${rest}${stack}`;
}

/** Wraps a writer of raw log bytes so each whole line is written pretty; a partial line waits for its end. */
export function prettyLines(write: (chunk: Buffer) => void): (chunk: Buffer) => void {
  const decoder = new StringDecoder('utf8');
  let held = '';
  return (chunk) => {
    const text = held + decoder.write(chunk);
    const end = text.lastIndexOf('\n') + 1;
    held = text.slice(end);
    if (end === 0) return;
    const lines = text.slice(0, end - 1).split('\n');
    write(Buffer.from(`${lines.map(prettyLine).join('\n')}\n`));
  };
}
