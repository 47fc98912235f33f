import type { NextFunction, Request, Response } from 'express';
import { RoroError } from '../core/errors.js';
import { clientErrorOf } from './client-errors.js';

/**
 * The API's one error handler: RoroError, or a client error from below the routes
 * (api/client-errors.ts) → its status and hint; anything else → logged, 500.
 */
export function errorHandler(log: (line: string) => void) {
  return (raw: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const err = raw instanceof RoroError ? raw : (clientErrorOf(raw) ?? raw);
    if (err instanceof RoroError) {
      res.status(err.status).json({
        error: { code: err.code, message: err.message, hint: err.hint, details: err.details },
      });
      return;
    }
    log(`internal error: ${(err as Error)?.stack ?? String(err)}`);
    res.status(500).json({ error: { code: 'internal', message: 'Internal server error; see the API log.' } });
  };
}

export function notFound(req: Request, res: Response) {
  res.status(404).json({ error: { code: 'not_found', message: `No API route ${req.method} ${req.path}.` } });
}
