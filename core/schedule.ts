import type { ScheduleSpec as TemporalScheduleSpec } from '@temporalio/client';
import { ValidationError } from './errors.js';

/**
 * Task schedules: the English `when:` forms rorodata projects use, and standard 5-field cron.
 * Everything compiles to either a cron expression in a timezone or a fixed interval, the two
 * shapes a Temporal schedule takes. Only types come from @temporalio/client, so core stays free
 * of runtime Temporal code.
 */
export type ScheduleSpec =
  { kind: 'cron'; cron: string; timezone: string } | { kind: 'interval'; everySeconds: number };

/** The forms quoted back to the user when a `when:` cannot be read. */
export const WHEN_FORMS: readonly string[] = [
  'every day at 10:00 AM',
  'every day at 20:00',
  'every week on sunday at 10:00 AM',
  'every monday at 9:30',
  'every weekday at 08:00',
  'every month on first day at 10:00 AM',
  'every month on day 2 at 10:00 AM',
  'every 2 hours',
  'every hour',
  'every 15 minutes',
  'every minute',
];

const DAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

export function isValidTimezone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Fixes only the letter case (`utc` → `UTC`): the scheduler's zone lookup is case-sensitive. */
export function normalizeTimezone(tz: string): string {
  if (!isValidTimezone(tz)) {
    throw new ValidationError(`Unknown timezone "${tz}": use an IANA name such as "UTC" or "Europe/Paris".`, {
      hint: 'See the "TZ identifier" column of the IANA time zone list.',
    });
  }
  const resolved = new Intl.DateTimeFormat('en-US', { timeZone: tz }).resolvedOptions().timeZone;
  return resolved.toLowerCase() === tz.toLowerCase() ? resolved : tz;
}

function whenError(text: string, reason?: string): ValidationError {
  const why = reason ? ` (${reason})` : '';
  return new ValidationError(
    `Cannot read the schedule "${text}"${why}. Accepted forms: ${WHEN_FORMS.map((f) => `"${f}"`).join(', ')}.`,
    {
      hint: 'Write one of the accepted forms, or use `cron:` with a 5-field cron expression instead of `when:`.',
    },
  );
}

/** `10:00 AM`, `10am`, `20:00`, `9:30`, `noon`, `midnight` → [hour, minute]. */
function parseTime(text: string, raw: string): [number, number] {
  if (text === 'noon') return [12, 0];
  if (text === 'midnight') return [0, 0];
  const m = /^(\d{1,2})(?::(\d{2}))?\s*(am|pm)?$/.exec(text);
  if (!m) throw whenError(raw, `"${text}" is not a time such as 10:00 AM or 20:00`);
  let hour = Number(m[1]);
  const minute = m[2] === undefined ? 0 : Number(m[2]);
  if (minute > 59) throw whenError(raw, `minute ${minute} is out of range 0-59`);
  if (m[3] !== undefined) {
    if (hour < 1 || hour > 12) throw whenError(raw, `hour ${hour} with ${m[3].toUpperCase()} must be 1-12`);
    hour = (hour % 12) + (m[3] === 'pm' ? 12 : 0);
  } else if (hour > 23) {
    throw whenError(raw, `hour ${hour} is out of range 0-23`);
  }
  return [hour, minute];
}

function dayOfWeek(word: string): number | undefined {
  const i = DAYS.findIndex((d) => word === d || word === d.slice(0, 3) || word === `${d}s`);
  return i < 0 ? undefined : i;
}

/** `first day`, `the 2nd`, `day 2`, `2nd day` → 2; undefined when not a day of the month. */
function dayOfMonth(text: string, raw: string): number | undefined {
  const t = text.replace(/^the /, '').replace(/ day$/, '');
  if (t === 'first') return 1;
  const m = /^(?:day )?(\d{1,2})(?:st|nd|rd|th)?$/.exec(t);
  if (!m) return undefined;
  const day = Number(m[1]);
  if (day < 1 || day > 31) throw whenError(raw, `day ${day} is out of range 1-31`);
  return day;
}

const INTERVAL_UNITS: Record<string, number> = { minute: 60, min: 60, hour: 3600, hr: 3600 };

function parseInterval(head: string): number | undefined {
  const m = /^every (?:(\d+) )?(minute|min|hour|hr)s?$/.exec(head);
  if (!m) return undefined;
  const n = m[1] === undefined ? 1 : Number(m[1]);
  return n * INTERVAL_UNITS[m[2] as string]!;
}

/** The day part of a `when:` → [day-of-month, day-of-week] cron fields, or undefined. */
function parseDays(head: string, raw: string): [string, string] | undefined {
  if (head === 'every day' || head === 'daily') return ['*', '*'];
  if (head === 'every weekday') return ['*', '1-5'];
  if (head === 'every weekend' || head === 'every weekend day') return ['*', '0,6'];
  if (head === 'every month') return ['1', '*'];
  if (head === 'every week') return ['*', '0'];
  let m = /^every (?:week on )?(\w+)$/.exec(head);
  if (m) {
    const dow = dayOfWeek(m[1] as string);
    return dow === undefined ? undefined : ['*', String(dow)];
  }
  m = /^every month on (.+)$/.exec(head);
  if (m) {
    const dom = dayOfMonth(m[1] as string, raw);
    return dom === undefined ? undefined : [String(dom), '*'];
  }
  return undefined;
}

/** Parses an English `when:`; the timezone applies to clock-time forms only. */
export function parseWhen(text: string, timezone = 'UTC'): ScheduleSpec {
  const norm = text
    .toLowerCase()
    .replace(/\b([ap])\.m\.?/g, '$1m')
    .replace(/\s+/g, ' ')
    .trim();
  const m = /^(.*?)(?: at (.+))?$/.exec(norm);
  const head = m?.[1] ?? '';
  const at = m?.[2];
  const seconds = parseInterval(head);
  if (seconds !== undefined) {
    if (at !== undefined) throw whenError(text, `a repeating interval cannot also have a time "at ${at}"`);
    if (seconds <= 0) throw whenError(text, 'the interval must be at least one minute');
    return { kind: 'interval', everySeconds: seconds };
  }
  const days = parseDays(head, text);
  if (!days) throw whenError(text);
  const [hour, minute] = at === undefined ? [0, 0] : parseTime(at, text);
  return {
    kind: 'cron',
    cron: `${minute} ${hour} ${days[0]} * ${days[1]}`,
    timezone: normalizeTimezone(timezone),
  };
}

const CRON_MACROS: Record<string, string> = {
  '@hourly': '0 * * * *',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@weekly': '0 0 * * 0',
  '@monthly': '0 0 1 * *',
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
};

interface CronField {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const CRON_FIELDS: readonly CronField[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  { name: 'day-of-week', min: 0, max: 6, names: DAYS.map((d) => d.slice(0, 3)) },
];

const CRON_HINT =
  'Write five fields: minute hour day-of-month month day-of-week, e.g. "30 2 * * 1-5" (02:30 on weekdays).';

function cronError(expr: string, reason: string): ValidationError {
  return new ValidationError(`Invalid cron expression "${expr}": ${reason}.`, { hint: CRON_HINT });
}

/** One value of a field, a number or a name (`mon`, `jan`), as a number in range. */
function cronValue(f: CronField, v: string, expr: string): number {
  const byName = f.names?.indexOf(v.toLowerCase()) ?? -1;
  const n = byName >= 0 ? byName + f.min : /^\d+$/.test(v) ? Number(v) : NaN;
  if (Number.isNaN(n)) throw cronError(expr, `the ${f.name} field has "${v}", which is not a number`);
  if (n < f.min || n > f.max) {
    const sunday = f.name === 'day-of-week' && n === 7 ? ' (Sunday is 0)' : '';
    throw cronError(expr, `the ${f.name} field has ${n}, outside ${f.min}-${f.max}${sunday}`);
  }
  return n;
}

/** Validates one field (`*`, `*\/n`, `a`, `a-b`, `a-b/n`, lists of these) and returns it with names as numbers. */
function cronField(f: CronField, text: string, expr: string): string {
  return text
    .split(',')
    .map((part) => {
      const m = /^(\*|[a-z0-9]+(?:-[a-z0-9]+)?)(?:\/(\d+))?$/i.exec(part);
      if (!m) throw cronError(expr, `the ${f.name} field has "${part}"; use *, a number, a-b, */n or a list`);
      const [, range = '', step] = m;
      if (step !== undefined && (Number(step) < 1 || Number(step) > f.max - f.min + 1)) {
        throw cronError(expr, `the ${f.name} field has step ${step}, outside 1-${f.max - f.min + 1}`);
      }
      const suffix = step === undefined ? '' : `/${Number(step)}`;
      if (range === '*') return `*${suffix}`;
      const [a = '', b] = range.split('-');
      const lo = cronValue(f, a, expr);
      if (b === undefined) {
        if (step !== undefined)
          throw cronError(expr, `the ${f.name} field has "${part}"; a step needs * or a range`);
        return String(lo);
      }
      const hi = cronValue(f, b, expr);
      if (hi < lo)
        throw cronError(expr, `the ${f.name} field has the range ${lo}-${hi}, which runs backwards`);
      return `${lo}-${hi}${suffix}`;
    })
    .join(',');
}

/**
 * Validates a standard 5-field cron expression and returns it normalised (single spaces, names
 * and macros replaced by numbers), in the form the scheduler accepts.
 */
export function parseCron(expr: string): string {
  const trimmed = expr.trim();
  const text = CRON_MACROS[trimmed.toLowerCase()] ?? trimmed;
  const parts = text.split(/\s+/).filter((p) => p !== '');
  if (parts.length !== 5) {
    throw cronError(
      expr,
      `it has ${parts.length} field${parts.length === 1 ? '' : 's'}, but a cron expression has exactly 5: minute hour day-of-month month day-of-week`,
    );
  }
  const out = parts.map((p, i) => cronField(CRON_FIELDS[i]!, p, expr));
  // The scheduler ANDs day-of-month and day-of-week where classic cron ORs them; refuse the ambiguity.
  if (!out[2]!.startsWith('*') && !out[4]!.startsWith('*')) {
    throw cronError(expr, 'it restricts both day-of-month and day-of-week; restrict only one of them');
  }
  return out.join(' ');
}

const pad = (n: string): string => n.padStart(2, '0');

function describeEvery(seconds: number): string {
  for (const [unit, size] of [
    ['hour', 3600],
    ['minute', 60],
  ] as const) {
    if (seconds % size === 0) return seconds === size ? `every ${unit}` : `every ${seconds / size} ${unit}s`;
  }
  return `every ${seconds} seconds`;
}

/** A short English description for `roro ps`, the API and logs, e.g. `every day at 10:00 (UTC)`. */
export function describeSchedule(spec: ScheduleSpec): string {
  if (spec.kind === 'interval') return describeEvery(spec.everySeconds);
  const [min, hour, dom, month, dow] = spec.cron.split(' ');
  const tz = ` (${spec.timezone})`;
  if (month !== '*' || !/^\d+$/.test(min ?? '') || !/^\d+$/.test(hour ?? ''))
    return `cron "${spec.cron}"${tz}`;
  const time = `at ${pad(hour!)}:${pad(min!)}`;
  if (dom === '*' && dow === '*') return `every day ${time}${tz}`;
  if (dom === '*' && dow === '1-5') return `every weekday ${time}${tz}`;
  if (dom === '*' && dow === '0,6') return `every weekend day ${time}${tz}`;
  if (dom === '*' && /^[0-6]$/.test(dow ?? '')) return `every ${DAYS[Number(dow)]} ${time}${tz}`;
  if (dow === '*' && /^\d+$/.test(dom ?? '')) return `every month on day ${dom} ${time}${tz}`;
  return `cron "${spec.cron}"${tz}`;
}

/** The Temporal schedule spec for a task, e.g. `{ intervals: [{ every: '2h' }] }`. */
export function toTemporalSpec(spec: ScheduleSpec): TemporalScheduleSpec {
  if (spec.kind === 'interval') {
    const s = spec.everySeconds;
    const every = s % 3600 === 0 ? `${s / 3600}h` : s % 60 === 0 ? `${s / 60}m` : `${s}s`;
    return { intervals: [{ every }] };
  }
  return { cronExpressions: [spec.cron], timezone: spec.timezone };
}
