import {
  isValidTimezone,
  normalizeTimezone,
  parseCron,
  parseWhen,
  WHEN_FORMS,
  type ScheduleSpec,
} from '../schedule.js';
import { checkSizeName, compact, describeValue, type Checker, type Obj } from './checker.js';
import { checkItem } from './keys.js';
import { OVERLAP_POLICIES, TASK_KEYS, type OverlapPolicy, type TaskSpec } from './types.js';

/** The rules of one item of `tasks:`, its schedule included. */

function checkSchedule(c: Checker, o: Obj, path: string, timezone: string): ScheduleSpec {
  const fallback: ScheduleSpec = { kind: 'interval', everySeconds: 3600 };
  const when = c.str(o, 'when', path, 'when: every day at 10:00 AM');
  const cron = c.str(o, 'cron', path, 'cron: "0 10 * * *"');
  if (o.when !== undefined && o.cron !== undefined) {
    c.add(`${path}.cron`, 'a task has either "when" or "cron", not both', 'remove one of them');
    return fallback;
  }
  if (o.when === undefined && o.cron === undefined) {
    if (c.reportedElsewhere(o, ['when', 'cron'], TASK_KEYS)) return fallback;
    c.add(
      path,
      'a task needs a schedule: "when" (English) or "cron" (5 fields)',
      `add e.g. "when: ${WHEN_FORMS[0]}" under the task, aligned with "name"`,
    );
    return fallback;
  }
  try {
    if (when !== undefined) return parseWhen(when, timezone);
    if (cron !== undefined) return { kind: 'cron', cron: parseCron(cron), timezone };
  } catch (err) {
    const e = err as Error & { hint?: string };
    c.add(
      `${path}.${when !== undefined ? 'when' : 'cron'}`,
      e.message.replace(/\.$/, ''),
      e.hint ?? 'fix the schedule',
    );
  }
  return fallback;
}

export function checkTask(c: Checker, item: unknown, path: string): TaskSpec | undefined {
  const raw = checkItem(c, item, path, 'task');
  if (!raw) return undefined;
  const name = c.name(raw, path, 'task', 'train');
  const command = c.str(raw, 'command', path, 'command: python train.py');
  if (raw.command === undefined && !c.reportedElsewhere(raw, ['command'], TASK_KEYS)) {
    c.add(
      `${path}.command`,
      'a task needs a command',
      'add e.g. "command: python train.py" under the task, aligned with "name"',
    );
  }
  let timezone = c.str(raw, 'timezone', path, 'timezone: Europe/Paris') ?? 'UTC';
  if (!isValidTimezone(timezone)) {
    c.add(
      `${path}.timezone`,
      `unknown timezone "${timezone}"`,
      'use an IANA name such as "UTC", "Asia/Kolkata" or "Europe/Paris"',
    );
    timezone = 'UTC';
  }
  timezone = normalizeTimezone(timezone);
  const overlap = raw.overlap ?? 'skip';
  if (!OVERLAP_POLICIES.includes(overlap as OverlapPolicy)) {
    c.add(
      `${path}.overlap`,
      `expected one of ${OVERLAP_POLICIES.join(', ')}, got ${describeValue(overlap)}`,
      'write it as overlap: skip',
    );
  }
  return compact({
    name,
    command: command ?? '',
    when: typeof raw.when === 'string' ? raw.when : undefined,
    cron: typeof raw.cron === 'string' ? raw.cron : undefined,
    timezone,
    schedule: checkSchedule(c, raw, path, timezone),
    size: checkSizeName(c, raw, path),
    timeoutSeconds: c.duration(raw, 'timeout', path),
    retries: c.int(raw, 'retries', path, 0, 10) ?? 0,
    overlap: overlap as OverlapPolicy,
  });
}
