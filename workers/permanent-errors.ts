import { ApplicationFailure } from '@temporalio/activity';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';

/**
 * SQLSTATE classes that repeat on every retry of the same statement: 22 data exception, 23
 * integrity constraint violation, 42 syntax error or access rule violation (a refused privilege
 * among them). Connection failures (08), shutdowns (57) and serialization failures (40) stay retryable.
 */
const PERMANENT_SQLSTATE_CLASSES = new Set(['22', '23', '42']);

/** Pure: the SQLSTATE of a PostgreSQL error that no retry will get past, else undefined. */
export function permanentSqlState(err: unknown): string | undefined {
  const e = err as { code?: unknown; severity?: unknown } | undefined;
  // node-postgres errors carry the server's severity; Node's own codes (EPIPE) never start with digits.
  const code = e?.code;
  if (typeof e?.severity !== 'string' || typeof code !== 'string' || !/^\d\d[0-9A-Z]{3}$/.test(code))
    return undefined;
  return PERMANENT_SQLSTATE_CLASSES.has(code.slice(0, 2)) ? code : undefined;
}

/**
 * Fails an activity at once when the database refuses its statement for good, instead of retrying
 * it for minutes: the workflow then ends the operation with the database's own words.
 */
export const permanentDatabaseErrors: ActivityInterceptorsFactory = (ctx) => ({
  inbound: {
    async execute(input, next) {
      try {
        return await next(input);
      } catch (err) {
        const state = permanentSqlState(err);
        if (!state) throw err;
        throw ApplicationFailure.nonRetryable(
          `The database refused ${ctx.info.activityType}: ${(err as Error).message} (SQLSTATE ${state}).`,
          'database_refused',
        );
      }
    },
  },
});
