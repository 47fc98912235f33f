import { RoroError } from '../core/errors.js';

/** Thrown for an answer of the API that is not 2xx (except 401); carries the server's Retry-After. */
export class ApiError extends RoroError {
  readonly retryAfterMs: number | undefined;

  constructor(
    message: string,
    opts: { code: string; status: number; hint?: string; details?: unknown; retryAfterMs?: number },
  ) {
    super(message, opts);
    this.name = 'ApiError';
    this.retryAfterMs = opts.retryAfterMs;
  }
}

/** `Retry-After: 2` → 2000; an HTTP date → the time until then; anything else → undefined. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The answer, or undefined when the API has no such thing (404): a job id, a notebook id, ... */
export async function unlessNotFound<T>(request: Promise<T>): Promise<T | undefined> {
  try {
    return await request;
  } catch (err) {
    if (err instanceof RoroError && err.status === 404) return undefined;
    throw err;
  }
}
