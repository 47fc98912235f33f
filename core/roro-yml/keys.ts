import { join } from '../yaml-positions.js';
import { isObj, suggest, type Checker, type Obj } from './checker.js';
import { SERVICE_KEYS, TASK_KEYS, TOP_KEYS } from './types.js';

/** The items of `services:` and `tasks:`: their keys, and what one must be when it is not a mapping. */
const ITEMS = {
  service: {
    keys: SERVICE_KEYS,
    expected: 'a mapping with "name:" and "function:" or "command:"',
    example: '"- name: default" with "function: predict.predict" below it',
  },
  task: {
    keys: TASK_KEYS,
    expected: 'a mapping with "name:", "command:" and "when:"',
    example: '"- name: train" with "command: python train.py" and "when: every day at 10:00 AM" below it',
  },
};

/** One item of `services:` or `tasks:`: a mapping whose keys are all known, or undefined (reported) when not a mapping. */
export function checkItem(c: Checker, raw: unknown, path: string, noun: keyof typeof ITEMS): Obj | undefined {
  const kind = ITEMS[noun];
  if (!isObj(raw)) {
    c.expected(path, raw, kind.expected, kind.example);
    return undefined;
  }
  checkKeys(c, raw, path, kind.keys, noun);
  return raw;
}

/** Unknown keys, with a suggestion or, for a key at the wrong level, where it belongs. */
export function checkKeys(c: Checker, o: Obj, path: string, allowed: readonly string[], noun: string): void {
  for (const key of Object.keys(o)) {
    if (allowed.includes(key)) continue;
    const at = join(path, key);
    if (path === '' && (SERVICE_KEYS.includes(key) || TASK_KEYS.includes(key))) {
      misplacedTopKey(c, key);
    } else if (path !== '' && TOP_KEYS.includes(key)) {
      c.add(
        at,
        `"${key}" is a top-level key, but it is inside a ${noun}`,
        `remove the indentation before "${key}" so it starts at column 1`,
        'key',
      );
    } else if (noun === 'service' && TASK_KEYS.includes(key)) {
      c.add(
        at,
        `"${key}" is a task key, not a service key`,
        `move this entry under "tasks:", or remove "${key}"`,
        'key',
      );
    } else {
      const guess = suggest(key, allowed);
      const where = path === '' ? 'at the top level' : `in a ${noun}`;
      c.add(
        at,
        guess ? `unknown key "${key}" ${where} (did you mean "${guess}"?)` : `unknown key "${key}" ${where}`,
        guess ? `rename it to "${guess}"` : `remove it; the keys allowed ${where} are ${allowed.join(', ')}`,
        'key',
      );
    }
  }
}

/** A service or task key that ended up at the top level: most often `function:` not indented under `- name:`. */
function misplacedTopKey(c: Checker, key: string): void {
  const keyLine = c.loc.find(key, 'key').line;
  let best: { section: string; i: number; line: number } | undefined;
  for (const section of ['services', 'tasks']) {
    const own = section === 'services' ? SERVICE_KEYS : TASK_KEYS;
    const list = c.doc[section];
    if (!own.includes(key) || !Array.isArray(list)) continue;
    list.forEach((_, i) => {
      const line = c.loc.find(`${section}[${i}]`, 'value').line;
      if (line < keyLine && (!best || line > best.line)) best = { section, i, line };
    });
  }
  const noun =
    SERVICE_KEYS.includes(key) && !TASK_KEYS.includes(key)
      ? 'service'
      : TASK_KEYS.includes(key) && !SERVICE_KEYS.includes(key)
        ? 'task'
        : 'service or task';
  if (!best) {
    c.add(
      key,
      `"${key}" is a ${noun} key, but it is at the top level`,
      `move it under an item of "${noun === 'task' ? 'tasks' : 'services'}:"`,
      'key',
    );
    return;
  }
  const item = `${best.section}[${best.i}]`;
  const anchor = c.loc.find(`${item}.name`, 'key');
  const itemNoun = best.section === 'services' ? 'service' : 'task';
  c.add(
    key,
    `"${key}" is at the top level, but it belongs to the ${itemNoun} that starts on line ${best.line}; it must be indented under it, aligned with "name"`,
    `indent "${key}" to column ${anchor.column}, the column of "name" on line ${anchor.line}`,
    'key',
  );
}
