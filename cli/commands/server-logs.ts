import fs from 'node:fs';
import { logPath, type PlatformEnv } from '../../core/config.js';
import { ConfigError, RoroError } from '../../core/errors.js';
import { followLog, lastLineRanges, readRanges, rotatedFiles } from '../../platform/log-reader.js';
import { prettyLines } from '../../platform/log-pretty.js';

/** Every log `roro server logs` reads: one a component, plus the supervisor's and the gateway's access log. */
export const LOG_NAMES = [
  'supervisor',
  'postgres',
  'temporal',
  'docker',
  'api',
  'gateway',
  'gateway-access',
  'worker',
  'healer',
];

function lineCount(raw: unknown): number {
  const n = Number(raw ?? 100);
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new ConfigError(
      `-n ${String(raw)} is not a number of lines.`,
      'Give -n a whole number, e.g. -n 200.',
    );
  }
  return n;
}

/** Prints the last lines of a platform log, across its rotated files, and with `follow` what comes after. */
export async function serverLogs(
  env: PlatformEnv,
  component: string | undefined,
  opts: { follow?: boolean; lines?: unknown },
): Promise<void> {
  const name = component ?? 'supervisor';
  if (!LOG_NAMES.includes(name)) {
    throw new ConfigError(`Unknown component ${name}.`, `Choose one of: ${LOG_NAMES.join(', ')}.`);
  }
  const lines = lineCount(opts.lines);
  const file = logPath(env.home, name);
  let fd: number | undefined;
  try {
    // Opened before reading back, so following starts exactly where the lines shown end.
    fd = fs.openSync(file, 'r');
  } catch {
    if (opts.follow || rotatedFiles(file).length === 0) {
      throw new RoroError(`No log yet for ${name} (${file}).`, {
        hint: 'Start the platform with `roro server up`.',
      });
    }
  }
  const end = fd === undefined ? undefined : fs.fstatSync(fd).size;
  const raw = (chunk: Buffer) => process.stdout.write(chunk);
  // JSON lines are for programs; a person at a terminal reads them pretty.
  const write = process.stdout.isTTY ? prettyLines(raw) : raw;
  readRanges(lastLineRanges(file, lines, end), write);
  if (fd === undefined) return;
  if (!opts.follow) {
    fs.closeSync(fd);
    return;
  }
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  process.once('SIGTERM', () => stop.abort());
  await followLog(file, fd, end ?? 0, write, { signal: stop.signal });
}
