/** Results go to stdout; progress, warnings and errors to stderr. Colour only on a TTY without NO_COLOR. */
const colour = (stream: NodeJS.WriteStream) =>
  Boolean(stream.isTTY) && !('NO_COLOR' in process.env) && process.env.TERM !== 'dumb';

const paint = (code: number, text: string, stream: NodeJS.WriteStream) =>
  colour(stream) ? `\u001b[${code}m${text}\u001b[0m` : text;

export const out = (line = '') => process.stdout.write(`${line}\n`);
export const info = (line: string) => process.stderr.write(`${line}\n`);
export const step = (line: string) => info(`${paint(36, '----->', process.stderr)} ${line}`);
export const detail = (line: string) => info(`       ${line}`);
export const warn = (line: string) => info(`${paint(33, ' !    ', process.stderr)} ${line}`);
export const bold = (text: string) => paint(1, text, process.stdout);

export function printJson(value: unknown): void {
  out(JSON.stringify(value, null, 2));
}

/** Plain aligned columns; the header row is upper-case like `roro ps` always printed. */
export function table(headers: string[], rows: (string | number | undefined)[][]): void {
  const cells = rows.map((r) => r.map((c) => (c === undefined ? '' : String(c))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  out(line(headers));
  for (const r of cells) out(line(r));
}

export function ago(iso: string | undefined, now = Date.now()): string {
  if (!iso) return '';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s} seconds ago`;
  if (s < 3600) return `${Math.round(s / 60)} minutes ago`;
  if (s < 86400) return `${Math.round(s / 3600)} hours ago`;
  return `${Math.round(s / 86400)} days ago`;
}

/** `1m 05s`, `12s`, `2h 03m`. */
export function duration(fromIso: string | undefined, toIso: string | undefined, now = Date.now()): string {
  if (!fromIso) return '';
  const s = Math.max(0, Math.round(((toIso ? Date.parse(toIso) : now) - Date.parse(fromIso)) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
