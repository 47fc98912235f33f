import type { RoroError } from '../core/errors.js';
import { UnavailableError } from './unavailable.js';

/** gRPC codes that mean the Temporal frontend did not take the call: UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED. */
const UNREACHABLE_CODES = new Set([14, 4, 8]);

/** Pure: true when an error (or any of its causes) says Temporal could not be reached. */
export function isTemporalUnreachable(err: unknown): boolean {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 8; depth++) {
    if (typeof e.code === 'number' && UNREACHABLE_CODES.has(e.code)) return true;
    e = e.cause as typeof e;
  }
  return false;
}

/**
 * Thrown when an operation's workflow could not be started because Temporal is unreachable; the
 * operation's row has already been closed (or removed), so nothing is left `running`.
 */
export function workflowNotStarted(what: string, err: unknown, closed: string): RoroError {
  const reason = (err as { cause?: { details?: string }; message?: string })?.cause?.details;
  return new UnavailableError(
    'temporal',
    err,
    `${what} could not be started${reason ? ` (${reason})` : ''}. ${closed}`,
  );
}
