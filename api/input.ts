import type { NextFunction, Request, Response } from 'express';
import { ValidationError } from '../core/errors.js';

/** The largest value of a PostgreSQL integer column: every id, version, seq and count fits. */
export const MAX_INT = 2147483647;

/**
 * A whole number from a JSON body field (a number) or a query parameter (a string of digits),
 * within [min, max]; `fallback` when absent. Booleans, fractions, exponents and anything out of
 * range are refused, naming the field, so nothing odd reaches PostgreSQL.
 */
export function intInput(
  value: unknown,
  field: string,
  opts: { min?: number; max?: number; fallback?: number } = {},
): number {
  const min = opts.min ?? 0;
  const max = opts.max ?? MAX_INT;
  if ((value === undefined || value === '') && opts.fallback !== undefined) return opts.fallback;
  const n =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && /^\d{1,10}$/.test(value)
        ? Number(value)
        : NaN;
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ValidationError(`${field} must be a whole number from ${min} to ${max}, not ${show(value)}.`, {
      code: 'invalid_number',
    });
  }
  return n;
}

const show = (v: unknown) =>
  typeof v === 'string' ? JSON.stringify(v.slice(0, 40)) : String(JSON.stringify(v));

/** The path (`body.a.b[2]`) of the first string or key holding a NUL byte, or undefined. */
export function nulPath(value: unknown, at: string, depth = 0): string | undefined {
  if (typeof value === 'string') return value.includes('\0') ? at : undefined;
  if (depth > 64 || value === null || typeof value !== 'object') return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const p = nulPath(value[i], `${at}[${i}]`, depth + 1);
      if (p) return p;
    }
    return undefined;
  }
  for (const [k, v] of Object.entries(value)) {
    if (k.includes('\0')) return `${at} (a key)`;
    const p = nulPath(v, `${at}.${k}`, depth + 1);
    if (p) return p;
  }
  return undefined;
}

/**
 * Refuses requests whose JSON body, query or path carries a NUL byte: PostgreSQL cannot store one
 * in text, and no name, path or command of the platform has one.
 */
export function rejectNulBytes(req: Request, _res: Response, next: NextFunction): void {
  const where = /%00/i.test(req.path)
    ? 'The URL path'
    : (nulPath(req.query, 'query') ?? (req.is('application/json') ? nulPath(req.body, 'body') : undefined));
  if (where) {
    throw new ValidationError(`${where} contains a NUL byte (\\u0000).`, {
      code: 'bad_string',
      hint: 'Remove the NUL character; no name, path or value of the platform may contain one.',
    });
  }
  next();
}
