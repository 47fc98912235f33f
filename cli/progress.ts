/**
 * Deploy progress on the terminal: the upload bar, the NDJSON event parser and the renderer that
 * turns deploy events into rorodata's lines. Everything here is pure except `uploadProgress`, which
 * writes to the stream it is given; the network side is followDeploy in cli/follow.ts.
 */

/** Live redrawing (bar, log window) only on a TTY, not under CI, not on a dumb terminal. */
export function isLive(stream: NodeJS.WriteStream = process.stderr): boolean {
  return Boolean(stream.isTTY) && !process.env.CI && process.env.TERM !== 'dumb';
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

/** `[#########-----------]  45%  1.5 MB / 3.4 MB` */
export function barLine(sent: number, total: number, width = 24): string {
  const ratio = total > 0 ? Math.min(1, sent / total) : 1;
  const full = Math.round(ratio * width);
  const pct = String(Math.floor(ratio * 100)).padStart(3);
  return `[${'#'.repeat(full)}${'-'.repeat(width - full)}] ${pct}%  ${formatBytes(sent)} / ${formatBytes(total)}`;
}

export interface UploadProgress {
  update(sent: number): void;
  finish(): void;
  fail(): void;
}

/** A redrawn bar on a live terminal; otherwise silent until the final `<label>... done.` line. */
export function uploadProgress(
  label: string,
  total: number,
  stream: NodeJS.WriteStream = process.stderr,
): UploadProgress {
  const live = isLive(stream);
  let shown = -1;
  const end = (word: string) => stream.write(`${live ? '\r\u001b[K' : ''}${label}... ${word}.\n`);
  return {
    update(sent) {
      if (!live) return;
      const pct = total > 0 ? Math.floor((sent / total) * 100) : 100;
      if (pct === shown) return; // redraw at most 101 times, whatever the chunk size
      shown = pct;
      stream.write(`\r${label} ${barLine(sent, total)}\u001b[K`);
    },
    finish: () => end('done'),
    fail: () => end('failed'),
  };
}

// ---------- events ----------

export interface DeployEvent {
  seq: number;
  at: string;
  kind: string;
  message: string;
  data?: Record<string, unknown>;
}

export interface DoneData {
  version?: number;
  urls?: Record<string, string>;
  restarted?: number;
  rollbackOf?: number;
}

/** Longest line kept while waiting for its newline; a longer one is dropped, not buffered forever. */
const MAX_LINE = 4 * 1024 * 1024;

/** Splits an NDJSON byte stream into events; lines may be cut anywhere, even inside a UTF-8 character. */
export class NdjsonParser {
  private buf = '';
  private readonly decoder = new TextDecoder();
  /** Lines that were not a JSON event object (kept for --debug, never fatal). */
  skipped = 0;
  /** The server's last line when the stream broke off (PostgreSQL gone, for example): `{"error": {...}}`. */
  streamError: StreamError | undefined;

  push(chunk: Uint8Array | string): DeployEvent[] {
    this.buf += typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    const lines = this.buf.split('\n');
    this.buf = lines.pop() ?? '';
    if (this.buf.length > MAX_LINE) {
      this.buf = '';
      this.skipped++;
    }
    return this.parseLines(lines);
  }

  /** Call when the stream ends: a last line without a newline still counts. */
  end(): DeployEvent[] {
    const rest = this.buf + this.decoder.decode();
    this.buf = '';
    return this.parseLines([rest]);
  }

  private parseLines(lines: string[]): DeployEvent[] {
    const events: DeployEvent[] = [];
    for (const line of lines) {
      if (line.trim() === '') continue;
      const e = parseEvent(line);
      if (e) {
        events.push(e);
        continue;
      }
      const broke = parseStreamError(line);
      if (broke) this.streamError = broke;
      else this.skipped++;
    }
    return events;
  }
}

export interface StreamError {
  code: string;
  message: string;
  hint?: string;
}

/** A line that is a JSON object, or undefined. */
function parseObject(line: string): Record<string, unknown> | undefined {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return undefined;
  }
  return v !== null && typeof v === 'object' && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
}

/** `{"error": {"code", "message", "hint"}}`: the last line of a stream the server could not finish. */
export function parseStreamError(line: string): StreamError | undefined {
  const e = parseObject(line)?.error as Record<string, unknown> | undefined;
  if (!e || typeof e !== 'object' || typeof e.code !== 'string') return undefined;
  return {
    code: e.code,
    message: typeof e.message === 'string' ? e.message : '',
    ...(typeof e.hint === 'string' ? { hint: e.hint } : {}),
  };
}

export function parseEvent(line: string): DeployEvent | undefined {
  const o = parseObject(line);
  if (!o || typeof o.seq !== 'number' || typeof o.kind !== 'string') return undefined;
  const data = o.data !== null && typeof o.data === 'object' && !Array.isArray(o.data) ? o.data : undefined;
  return {
    seq: o.seq,
    at: typeof o.at === 'string' ? o.at : '',
    kind: o.kind,
    message: typeof o.message === 'string' ? o.message : '',
    ...(data ? { data: data as Record<string, unknown> } : {}),
  };
}

/**
 * Server and build text is shown as plain text: terminal escapes are removed so a build cannot move
 * the cursor or retitle the window, and a `\r`-redrawn progress line keeps only its last state.
 */
export function sanitize(text: string): string {
  const lastFrame = text.replace(/\r+$/, '').split('\r').pop() ?? '';
  return lastFrame
    .replace(/\u001b\[[0-9;?]*[ -/]*[@-~]/g, '')
    .replace(/\u001b\][^\u0007\u001b]*(\u0007|\u001b\\)?/g, '')
    .replace(/\t/g, '    ')
    .replace(/[\u0000-\u001f\u007f-\u009f]/g, '');
}

// ---------- rendering ----------

export interface Chunk {
  to: 'out' | 'err';
  text: string;
}

export interface RenderOptions {
  /** Redraw a window of the last build lines (a live terminal) instead of printing every line. */
  live: boolean;
  /** Terminal width; live log lines are cut to it so the window's height stays known. */
  columns?: number;
  /** Height of the live log window. */
  windowLines?: number;
  /** The result line on success, e.g. `Deployed version 5 of credit-risk project.` */
  final: (data: DoneData) => string;
  /** The next command to suggest after success, e.g. `Watch it with: roro ps`. */
  next?: string;
  /** Print `Restarted N services.` from the done event (deploys and rollbacks). */
  showRestarted?: boolean;
}

export type Outcome =
  { status: 'succeeded'; data: DoneData } | { status: 'failed'; reason: string; logs: string[] };

const INDENT = '       ';
const up = (n: number) => (n > 0 ? `\u001b[${n}A\r\u001b[J` : '\r\u001b[J');

/**
 * Turns deploy events into output chunks: `Building docker image... done.` with the build lines
 * indented below while it runs, the URLs and the version on stdout, errors with the service's log.
 * On a live terminal the build lines scroll in a small window that is wiped when the phase ends.
 */
export class EventRenderer {
  outcome: Outcome | undefined;
  private phase: string | undefined;
  /** The phase line ends in `...` with no newline yet. */
  private open = false;
  private window: string[] = [];
  /** Something was printed between the phase line and the window, so it cannot be rewritten in place. */
  private detached = false;

  constructor(private readonly opts: RenderOptions) {}

  render(e: DeployEvent): Chunk[] {
    const err: string[] = [];
    const msg = sanitize(e.message);
    switch (e.kind) {
      case 'phase':
        // A window left by a phase that never reported its end stays on screen as plain lines.
        err.push(this.close(), `${msg}...`);
        this.window = [];
        this.phase = msg;
        this.open = true;
        this.detached = false;
        break;
      case 'log':
        err.push(this.log(msg));
        break;
      case 'phase_done':
        err.push(this.phaseDone(msg));
        break;
      case 'done':
        return this.done((e.data ?? {}) as DoneData);
      case 'failed':
        return this.failed(msg, e.data);
      case 'warn':
        err.push(this.aside(` !     ${msg}`));
        break;
      default: // info, and kinds newer than this client
        if (msg) err.push(this.aside(msg));
    }
    return err.filter(Boolean).map((text) => ({ to: 'err' as const, text }));
  }

  private close(): string {
    if (!this.open) return '';
    this.open = false;
    return '\n';
  }

  /** Removes the live window from the screen (the lines stay in `window` for a redraw). */
  private wipe(): string {
    return this.window.length > 0 ? up(this.window.length) : '';
  }

  private drawWindow(): string {
    return this.window.map((l) => `${INDENT}\u001b[2m${l}\u001b[0m\n`).join('');
  }

  private log(line: string): string {
    if (!this.opts.live || this.phase === undefined) return `${this.close()}${INDENT}${line}\n`;
    const width = Math.max(20, (this.opts.columns || 80) - INDENT.length - 1); // 0 means unknown
    const before = this.wipe() || this.close();
    this.window.push(line.length > width ? `${line.slice(0, width - 1)}…` : line);
    if (this.window.length > (this.opts.windowLines ?? 8)) this.window.shift();
    return before + this.drawWindow();
  }

  /** An info or warning line: printed above the live window, which is then redrawn below it. */
  private aside(line: string): string {
    const text = `${this.wipe() || this.close()}${line}\n${this.drawWindow()}`;
    if (this.phase !== undefined) this.detached = true;
    return text;
  }

  private phaseDone(msg: string): string {
    const same = msg === this.phase || msg === '';
    const label = msg || this.phase || '';
    let text: string;
    if (same && this.open) text = ' done.\n';
    else if (same && this.window.length > 0 && !this.detached)
      text = `${up(this.window.length + 1)}${label}... done.\n`;
    else text = `${this.wipe() || this.close()}${label}... done.\n`;
    this.open = false;
    this.phase = undefined;
    this.window = [];
    return text;
  }

  private done(data: DoneData): Chunk[] {
    this.outcome = { status: 'succeeded', data };
    const err = (text: string): Chunk => ({ to: 'err', text });
    const chunks: Chunk[] = [];
    // The deploy succeeded, so a phase that never reported its end finished too.
    if (this.open) chunks.push(err(' done.\n'));
    this.open = false;
    const n = typeof data.restarted === 'number' ? data.restarted : 0;
    if (this.opts.showRestarted && n > 0)
      chunks.push(err(`Restarted ${n === 1 ? 'one service' : `${n} services`}.\n`));
    for (const [service, url] of Object.entries(data.urls ?? {})) {
      chunks.push({ to: 'out', text: `  ${sanitize(service)}: ${sanitize(String(url))}\n` });
    }
    chunks.push({ to: 'out', text: `${this.opts.final(data)}\n` });
    if (this.opts.next) chunks.push(err(`${this.opts.next}\n`));
    this.phase = undefined;
    this.window = [];
    return chunks;
  }

  private failed(reason: string, data: Record<string, unknown> | undefined): Chunk[] {
    const logs = Array.isArray(data?.logs) ? data.logs.map((l) => sanitize(String(l))) : [];
    this.outcome = { status: 'failed', reason, logs };
    // The live window stays on screen: the last build lines usually show why it failed.
    let text = this.open ? ' failed.\n' : '';
    this.open = false;
    text += `Error: ${reason || 'the deploy failed.'}\n`;
    if (logs.length > 0)
      text += `Last lines of the service's log:\n${logs.map((l) => `${INDENT}${l}\n`).join('')}`;
    this.phase = undefined;
    this.window = [];
    return [{ to: 'err', text }];
  }
}
