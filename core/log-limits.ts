import { ConfigError } from './errors.js';

/** How large a platform log grows before it rotates, and how many rotated files are kept. */
export interface LogLimits {
  /** A log file is rotated before a line would take it past this size. */
  maxBytes: number;
  /** Rotated files kept beside the current one (`<name>.log.1` ... `<name>.log.<files>`). */
  files: number;
}

export const DEFAULT_LOG_LIMITS: LogLimits = { maxBytes: 10 * 1024 * 1024, files: 5 };

const MIN_BYTES = 4096;
const MAX_FILES = 100;
const SIZE_RE = /^(\d+)([kmg]?)$/i;
const UNIT: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

function size(name: string, raw: string): number {
  const m = SIZE_RE.exec(raw.trim());
  const n = m ? Number(m[1]) * UNIT[m[2]!.toLowerCase()]! : NaN;
  if (!Number.isSafeInteger(n) || n < MIN_BYTES) {
    throw new ConfigError(
      `${name}=${raw} is not a log size of at least ${MIN_BYTES} bytes.`,
      `Set ${name} to a number of bytes, optionally with K, M or G (e.g. ${name}=10M), or unset it for the default of 10M.`,
    );
  }
  return n;
}

function count(name: string, raw: string): number {
  const n = Number(raw.trim());
  if (!/^\d+$/.test(raw.trim()) || n < 1 || n > MAX_FILES) {
    throw new ConfigError(
      `${name}=${raw} is not a number of kept log files.`,
      `Set ${name} to a whole number from 1 to ${MAX_FILES} (e.g. ${name}=5), or unset it for the default of 5.`,
    );
  }
  return n;
}

/** Reads RORO_LOG_MAX_BYTES and RORO_LOG_FILES; an empty or unset variable means the default. */
export function parseLogLimits(env: NodeJS.ProcessEnv): LogLimits {
  const maxBytes = env.RORO_LOG_MAX_BYTES;
  const files = env.RORO_LOG_FILES;
  return {
    maxBytes: maxBytes ? size('RORO_LOG_MAX_BYTES', maxBytes) : DEFAULT_LOG_LIMITS.maxBytes,
    files: files ? count('RORO_LOG_FILES', files) : DEFAULT_LOG_LIMITS.files,
  };
}
