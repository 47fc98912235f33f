/** What a cell measured, and whether it meets the goals. Pure: no I/O. */
import { SERVING_FAULTS, type Cell } from './matrix.js';

/** One request of the continuous load: when it ended (ms, any clock) and whether it answered 200. */
export interface Sample {
  at: number;
  ok: boolean;
}

export interface CellResult extends Cell {
  /** The fault was injected while this activity was pending; undefined when the boundary never came. */
  firedAt?: string;
  /** The operation's terminal state as its row says (`succeeded`, `failed: ...`), or `stuck: ...`. */
  final: string;
  expected: string;
  requests: number;
  failedRequests: number;
  /** Longest time without a successful request while some failed, in seconds (0 when none failed). */
  gapSeconds: number;
  orphans: string[];
  stuckRows: string[];
  /** Seconds from the fault until the operation's workflow closed. */
  endedAfterSeconds?: number;
  /** Why the cell could not be run as asked (boundary missed, platform not back), if so. */
  note?: string;
  /** Up to a few distinct errors of the failed requests. */
  errors: string[];
}

export type Verdict = 'pass' | 'FAIL' | 'missed';

/**
 * The longest window with no successful request that holds failures: from the last success
 * before a run of failures to the first success after it (or the last sample, if none came).
 */
export function gapSeconds(samples: Sample[]): number {
  const sorted = [...samples].sort((a, b) => a.at - b.at);
  let worst = 0;
  let lastOk: number | undefined;
  let streakStart: number | undefined;
  for (const s of sorted) {
    if (s.ok) {
      if (streakStart !== undefined) worst = Math.max(worst, s.at - (lastOk ?? streakStart));
      streakStart = undefined;
      lastOk = s.at;
    } else if (streakStart === undefined) streakStart = s.at;
  }
  const last = sorted.at(-1);
  if (streakStart !== undefined && last) worst = Math.max(worst, last.at - (lastOk ?? streakStart));
  return Math.round(worst / 100) / 10;
}

/** The goals a cell falls short of; empty when it passes. */
export function problems(r: CellResult): string[] {
  const out: string[] = [];
  if (r.final !== r.expected) out.push(`ended ${r.final}, expected ${r.expected}`);
  if (r.orphans.length) out.push(`${r.orphans.length} orphan container(s)`);
  if (r.stuckRows.length) out.push(`${r.stuckRows.length} row(s) left running`);
  if (r.failedRequests && !SERVING_FAULTS.has(r.fault))
    out.push(`${r.failedRequests} failed request(s) to the serving release`);
  return out;
}

export function verdict(r: CellResult): Verdict {
  if (!r.firedAt) return 'missed';
  return problems(r).length ? 'FAIL' : 'pass';
}

export interface Summary {
  cells: number;
  passed: number;
  failed: number;
  missed: number;
}

export function summarize(results: CellResult[]): Summary {
  const v = results.map(verdict);
  return {
    cells: results.length,
    passed: v.filter((x) => x === 'pass').length,
    failed: v.filter((x) => x === 'FAIL').length,
    missed: v.filter((x) => x === 'missed').length,
  };
}
