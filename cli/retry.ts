import { setTimeout as sleep } from 'node:timers/promises';
import { RoroError } from '../core/errors.js';
import { info, warn } from './output.js';
import { ApiError } from './api-error.js';

/**
 * Riding out platform blips: the supervisor restarts a dead PostgreSQL, Temporal or API in seconds,
 * so a command that follows an operation waits and tries again rather than failing while the
 * operation itself carries on. Pure except `withRetry`, which sleeps, and `announced`, which writes
 * its notices to stderr.
 */

export interface RetryPolicy {
  /** First delay; each further failure doubles it. */
  baseMs: number;
  /** Longest single delay, even when the server's Retry-After asks for more. */
  maxMs: number;
  /** Give up once failures have lasted this long without a success in between. */
  budgetMs: number;
}

/** Long enough for a platform restart (`roro server down` / `up`), short enough that a dead server is reported. */
export const FOLLOW_POLICY: RetryPolicy = { baseMs: 500, maxMs: 10_000, budgetMs: 5 * 60_000 };

/** The CLI's own errors for a connection that failed or a body that stopped short. */
const TRANSIENT_CODES = new Set(['unreachable', 'stream_interrupted', 'size_mismatch']);

/** Connection refused or dropped, a 5xx, or a stream that ended with an error line: the platform blinked. */
export function isTransient(err: unknown): boolean {
  if (err instanceof ApiError) return err.status >= 500;
  if (err instanceof RoroError) return TRANSIENT_CODES.has(err.code);
  return isBodyCutOff(err) || isSocketError(err);
}

/** fetch's own errors when the connection fails or a body stops half-way ("fetch failed", "terminated"). */
function isBodyCutOff(err: unknown): boolean {
  return err instanceof TypeError && /^(fetch failed|terminated)/.test(err.message);
}

/** A socket error from Node (ECONNRESET while reading a body, for example). */
function isSocketError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && /^(ECONN|EPIPE|ETIMEDOUT|EAI_AGAIN|UND_ERR)/.test(code);
}

/** The server refused before doing anything (503 `unavailable`): repeating a non-idempotent request is safe. */
export function isRefusedUnavailable(err: unknown): boolean {
  return err instanceof ApiError && err.status === 503 && err.code === 'unavailable';
}

/** The Retry-After the server sent with the error, in milliseconds. */
export function retryAfterOf(err: unknown): number | undefined {
  const ms = (err as { retryAfterMs?: unknown } | undefined)?.retryAfterMs;
  return typeof ms === 'number' && Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}

/**
 * Exponential back-off with jitter over a time budget. `next` returns the delay before the next
 * attempt, or undefined once failures have lasted longer than the budget; `reset` after progress.
 */
export class Backoff {
  failures = 0;
  private since: number | undefined;

  constructor(
    private readonly policy: RetryPolicy = FOLLOW_POLICY,
    private readonly clock: { now: () => number; random: () => number } = {
      now: Date.now,
      random: Math.random,
    },
  ) {}

  next(retryAfterMs?: number): number | undefined {
    const now = this.clock.now();
    this.since ??= now;
    if (now - this.since >= this.policy.budgetMs) return undefined;
    const exp = Math.min(this.policy.maxMs, this.policy.baseMs * 2 ** this.failures);
    this.failures++;
    // Half fixed, half random, so many clients of one restarted server do not return in step.
    const delay = Math.max(exp / 2 + (exp / 2) * this.clock.random(), retryAfterMs ?? 0);
    return Math.round(Math.min(delay, this.policy.maxMs, this.policy.budgetMs - (now - this.since)));
  }

  /** Milliseconds since the first failure of this outage (0 when none). */
  outageMs(): number {
    return this.since === undefined ? 0 : this.clock.now() - this.since;
  }

  reset(): void {
    this.failures = 0;
    this.since = undefined;
  }
}

export interface RetryOptions {
  /** Which errors to try again after; default isTransient. */
  retryIf?: (err: unknown) => boolean;
  backoff?: Backoff;
  /** Called before each wait, e.g. to say once that the API is unreachable. */
  onRetry?: (err: unknown, delayMs: number, failures: number) => void;
  /** Called when an attempt succeeds after failures, with how long the outage lasted. */
  onRecover?: (outageMs: number) => void;
  wait?: (ms: number) => Promise<unknown>;
}

/** Runs fn until it succeeds, a non-retryable error, or the back-off budget is spent (the last error is thrown). */
export async function withRetry<T>(fn: () => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const backoff = opts.backoff ?? new Backoff();
  const retryIf = opts.retryIf ?? isTransient;
  const wait = opts.wait ?? sleep;
  for (;;) {
    try {
      const value = await fn();
      if (backoff.failures > 0) opts.onRecover?.(backoff.outageMs());
      backoff.reset();
      return value;
    } catch (err) {
      if (!retryIf(err)) throw err;
      const delay = backoff.next(retryAfterOf(err));
      if (delay === undefined) throw err;
      opts.onRetry?.(err, delay, backoff.failures);
      await wait(delay);
    }
  }
}

/** The one line shown when the API stops answering while a command waits on it. */
export function blipNotice(err: unknown): string {
  const why = err instanceof RoroError ? err.message : String((err as Error)?.message ?? err);
  return `The roro API did not answer (${why.replace(/\.$/, '')}); trying again until it does.`;
}

/** Says on stderr once per outage that the API is away, and when it is back. */
export function announced(opts: RetryOptions = {}): RetryOptions {
  return {
    ...opts,
    onRetry: (err, delay, failures) => {
      if (failures === 1) warn(blipNotice(err));
      opts.onRetry?.(err, delay, failures);
    },
    onRecover: (ms) => {
      info(`       The roro API answers again (after ${Math.max(1, Math.round(ms / 1000))} s).`);
      opts.onRecover?.(ms);
    },
  };
}

/** A start request got no answer, or a failure that is not a refusal: the thing may have started. */
export function startOutcomeUnknown(err: unknown, what: string, check: string): RoroError {
  const why = err instanceof RoroError ? err.message : String((err as Error)?.message ?? err);
  return new RoroError(
    `The request to start the ${what} got no clear answer (${why.replace(/\.$/, '')}): it may or may not have started, so it was not sent again.`,
    { code: 'outcome_unknown', hint: `Check with \`${check}\` before starting it again.`, cause: err },
  );
}

/**
 * Sends a request that starts something (a job, a notebook): again only while the server refuses
 * it unstarted (503); a lost answer or another failure is reported as an unknown outcome.
 */
export function startRequest<T>(fn: () => Promise<T>, what: string, check: string): Promise<T> {
  return withRetry(fn, announced({ retryIf: isRefusedUnavailable })).catch((err: unknown) => {
    throw isTransient(err) && !isRefusedUnavailable(err) ? startOutcomeUnknown(err, what, check) : err;
  });
}
