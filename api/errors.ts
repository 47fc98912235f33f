import type { NextFunction, Request, Response } from 'express';
import { RoroError } from '../core/errors.js';
import { clientErrorOf } from './client-errors.js';
import { RETRY_AFTER_SECONDS, unavailableOf } from './unavailable.js';

const INTERNAL = { error: { code: 'internal', message: 'Internal server error; see the API log.' } };

/** The `{error}` body of a refusal, as the API sends it (also as the last line of an NDJSON stream). */
function errorBody(err: unknown) {
  if (!(err instanceof RoroError)) return INTERNAL;
  return { error: { code: err.code, message: err.message, hint: err.hint, details: err.details } };
}

/**
 * A response whose headers already went out cannot get a status any more: an NDJSON stream ends
 * with the error as its last line (clients reconnect from the last event they read), any other
 * body is cut off, so the client sees a broken response rather than a short one that looks whole.
 */
function endStartedResponse(res: Response, err: unknown) {
  if (res.writableEnded) return;
  if (String(res.getHeader('content-type') ?? '').startsWith('application/x-ndjson')) {
    res.end(`${JSON.stringify(errorBody(err))}\n`);
  } else res.destroy();
}

/**
 * The API's one error handler: RoroError, or a client error from below the routes
 * (api/client-errors.ts) → its status and hint; PostgreSQL or Temporal out of reach → 503 with
 * Retry-After (api/unavailable.ts); anything else → logged, 500.
 */
export function errorHandler(log: (line: string) => void, opts: { databasePort?: number } = {}) {
  return (raw: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const unavailable = raw instanceof RoroError ? undefined : unavailableOf(raw, opts.databasePort);
    const err = raw instanceof RoroError ? raw : (unavailable ?? clientErrorOf(raw) ?? raw);
    if (unavailable) log(`unavailable: ${unavailable.message} (${(raw as Error)?.message ?? String(raw)})`);
    else if (!(err instanceof RoroError)) log(`internal error: ${(err as Error)?.stack ?? String(err)}`);
    if (res.headersSent) {
      endStartedResponse(res, err);
      return;
    }
    const status = err instanceof RoroError ? err.status : 500;
    if (status === 503) res.setHeader('retry-after', String(RETRY_AFTER_SECONDS));
    res.status(status).json(errorBody(err));
  };
}

export function notFound(req: Request, res: Response) {
  res.status(404).json({ error: { code: 'not_found', message: `No API route ${req.method} ${req.path}.` } });
}
