import type { z } from 'zod';
import { ValidationError } from '../core/errors.js';

/** A value as a refusal quotes it: JSON, cut short. */
export const show = (v: unknown) =>
  typeof v === 'string' ? JSON.stringify(v.slice(0, 40)) : String(JSON.stringify(v)).slice(0, 60);

const noun = (type: unknown) =>
  type === 'array'
    ? 'a list'
    : type === 'object'
      ? 'an object'
      : type === 'integer'
        ? 'a whole number'
        : `a ${String(type)}`;

const FORMAT_EXAMPLES: Record<string, string> = { datetime: ' (UTC, e.g. 2026-01-31T12:00:00.5Z)' };

/**
 * Zod's issue phrased to follow the field's name ("body.email is required"): the per-parse error
 * map of every request schema. A schema's own message (intBody's range) takes precedence.
 */
function issueMessage(iss: z.core.$ZodRawIssue): string {
  const i = iss as unknown as Record<string, unknown>;
  const unit = i.origin === 'string' ? ' characters' : i.origin === 'array' ? ' items' : '';
  switch (iss.code) {
    case 'invalid_type':
      return iss.input === undefined
        ? `is required (${noun(i.expected)})`
        : `must be ${noun(i.expected)}, not ${show(iss.input)}`;
    case 'too_small':
      return `must be at least ${String(i.minimum)}${unit}${i.origin === 'string' ? ' long' : ''}`;
    case 'too_big':
      return `must be at most ${String(i.maximum)}${unit}${i.origin === 'string' ? ' long' : ''}`;
    case 'invalid_format':
      return i.format === 'regex'
        ? `must match ${String(i.pattern)}, not ${show(iss.input)}`
        : `must be in ${String(i.format)} format${FORMAT_EXAMPLES[String(i.format)] ?? ''}, not ${show(iss.input)}`;
    case 'invalid_value':
      return `must be one of ${(i.values as unknown[]).map((v) => JSON.stringify(v)).join(', ')}, not ${show(iss.input)}`;
    case 'unrecognized_keys':
      return `has unknown fields ${(i.keys as string[]).map((k) => JSON.stringify(k)).join(', ')}`;
    default:
      return `is not valid (${show(iss.input)})`;
  }
}

/** `body.command[1]`: where the value was read from, then its path inside. */
function fieldName(at: string, path: readonly PropertyKey[]): string {
  return path.reduce<string>((s, k) => (typeof k === 'number' ? `${s}[${k}]` : `${s}.${String(k)}`), at);
}

/** A 400 naming the first field that breaks the route's schema, with the rule it breaks. */
function refusal(at: string, issues: readonly z.core.$ZodIssue[]): ValidationError {
  const fields = issues.slice(0, 10).map((iss) => ({ field: fieldName(at, iss.path), message: iss.message }));
  const first = fields[0] ?? { field: at, message: 'is not valid' };
  // A schema's own whole sentence ("Invalid volume name ...") keeps its start; the field follows it.
  const text = /^[A-Z]/.test(first.message)
    ? `${first.message} (${first.field})`
    : `${first.field} ${first.message}`;
  return new ValidationError(/[.?]$/.test(text) ? text : `${text}.`, {
    hint: `Fix ${first.field} and send the request again; GET /v1/openapi.json describes every field.`,
    details: { fields },
  });
}

/** The value as the schema parses it, or a refusal naming the field at `at`. */
export function validate<S extends z.ZodType>(at: string, schema: S, value: unknown): z.output<S> {
  const out = schema.safeParse(value, { error: issueMessage });
  if (!out.success) throw refusal(at, out.error.issues);
  return out.data;
}
