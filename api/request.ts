import type { Request } from 'express';
import { ValidationError } from '../core/errors.js';

/** The request's declared body size, or undefined when it has none (chunked). */
export function contentLength(req: Request): number | undefined {
  const raw = req.get('content-length');
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0)
    throw new ValidationError('The Content-Length header is not a byte count.');
  return n;
}
