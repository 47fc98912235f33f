import type { NextFunction, Request, Response } from 'express';
import { RoroError } from '../core/errors.js';

/** The API's one error handler: RoroError → its status and hint; anything else → logged, 500. */
export function errorHandler(log: (line: string) => void) {
  return (err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof RoroError) {
      res.status(err.status).json({
        error: { code: err.code, message: err.message, hint: err.hint, details: err.details },
      });
      return;
    }
    const e = err as { type?: string; status?: number; message?: string };
    if (e?.type === 'entity.parse.failed') {
      res.status(400).json({ error: { code: 'bad_json', message: 'The request body is not valid JSON.' } });
      return;
    }
    if (e?.type === 'entity.too.large') {
      res.status(413).json({ error: { code: 'too_large', message: 'The request body is too large.' } });
      return;
    }
    log(`internal error: ${(err as Error)?.stack ?? String(err)}`);
    res.status(500).json({ error: { code: 'internal', message: 'Internal server error; see the API log.' } });
  };
}

export function notFound(req: Request, res: Response) {
  res.status(404).json({ error: { code: 'not_found', message: `No API route ${req.method} ${req.path}.` } });
}
