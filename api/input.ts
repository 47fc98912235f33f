import type { NextFunction, Request, Response } from 'express';
import { z } from 'zod';
import { ValidationError } from '../core/errors.js';
import { NAME_LENGTH, NAME_PATTERN, NAME_RULE } from '../core/names.js';
import { show } from './refusal.js';

/** The largest value of a PostgreSQL integer column: every id, version, seq and count fits. */
const MAX_INT = 2147483647;

/** A whole number within [min, max]; the message names the range and what was sent. */
function wholeNumber(min: number, max: number) {
  return z
    .number({
      // Absent: the per-parse map says "is required"; anything else: the range and what came.
      error: (iss) =>
        iss.input === undefined
          ? undefined
          : `must be a whole number from ${min} to ${max}, not ${show(iss.input)}`,
    })
    .int()
    .min(min)
    .max(max);
}

/** A whole number in a JSON body: a number, not a string, a boolean or a fraction. */
export function intBody(opts: { min?: number; max?: number } = {}) {
  return wholeNumber(opts.min ?? 0, opts.max ?? MAX_INT);
}

const digits = (v: unknown) => (typeof v === 'string' && /^\d{1,10}$/.test(v) ? Number(v) : v);

/**
 * A whole number in a query parameter: a string of digits (no sign, fraction or exponent), within
 * [min, max]; `fallback` when absent or empty, so nothing odd reaches PostgreSQL.
 */
export function intQuery(opts: { min?: number; max?: number; fallback: number }) {
  const min = opts.min ?? 0;
  const max = opts.max ?? MAX_INT;
  return z
    .preprocess((v) => (v === '' ? opts.fallback : digits(v)), wholeNumber(min, max))
    .default(opts.fallback);
}

/** A project, service, volume, task or tag name, refused with the rule names share. */
export function nameField(kind: string) {
  return z
    .string({ error: (iss) => `Invalid ${kind} name ${show(iss.input)}: a ${kind} name ${NAME_RULE}` })
    .min(NAME_LENGTH.min)
    .max(NAME_LENGTH.max)
    .regex(NAME_PATTERN)
    .describe(`A ${kind} name: ${NAME_RULE}.`);
}

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
