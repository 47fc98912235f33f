import { join, type Issue, type Locator } from '../yaml-positions.js';
import { isValidName, NAME_RULE } from '../names.js';
import { findSize, sizeNames } from '../sizes.js';
import { MAX_DURATION, MAX_SERVICES, MAX_TASKS, TOP_KEYS } from './types.js';

/**
 * The checker every section rule writes to: it collects each problem with its position, and reads
 * typed values (strings, whole numbers, durations, names) reporting what it cannot take.
 */

export type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

export function describeValue(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (v instanceof Date) return 'a date';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `the string ${JSON.stringify(v)}`;
  return `the ${typeof v} ${String(v)}`;
}

function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

export function suggest(key: string, allowed: readonly string[]): string | undefined {
  const limit = key.length <= 4 ? 1 : 2;
  let best: string | undefined;
  let bestD = limit + 1;
  for (const k of allowed) {
    const d = distance(key.toLowerCase(), k);
    if (d < bestD) [best, bestD] = [k, d];
  }
  return best;
}

export class Checker {
  readonly issues: Issue[] = [];
  constructor(
    readonly loc: Locator,
    readonly doc: Obj,
  ) {}

  add(path: string, message: string, hint: string, at: 'key' | 'value' = 'value'): void {
    // Hints borrowed from a thrown RoroError are sentences; inside "(fix: ...)" they read as clauses.
    const fix = hint.replace(/\.$/, '').replace(/^[A-Z](?=[a-z])/, (ch) => ch.toLowerCase());
    this.issues.push({ path, message, hint: fix, ...this.loc.find(path, at) });
  }

  /**
   * True when a required key is absent only because it was misspelt in the item or ended up at
   * the top level; that problem is already reported, so "missing" would be noise.
   */
  reportedElsewhere(o: Obj, keys: readonly string[], allowed: readonly string[]): boolean {
    const near = Object.keys(o).some((k) => !allowed.includes(k) && keys.includes(suggest(k, allowed) ?? ''));
    return near || keys.some((k) => k in this.doc && !TOP_KEYS.includes(k));
  }

  expected(path: string, v: unknown, what: string, example: string): void {
    this.add(path, `expected ${what}, got ${describeValue(v)}`, `write it as ${example}`);
  }

  str(o: Obj, key: string, path: string, example: string): string | undefined {
    const v = o[key];
    if (v === undefined) return undefined;
    if (typeof v === 'string' && v.trim() !== '') return v;
    this.expected(`${join(path, key)}`, v, 'a non-empty string', example);
    return undefined;
  }

  int(o: Obj, key: string, path: string, min: number, max: number): number | undefined {
    const v = o[key];
    if (v === undefined) return undefined;
    if (typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max) return v;
    this.add(
      `${join(path, key)}`,
      `expected a whole number from ${min} to ${max}, got ${describeValue(v)}`,
      `write it as ${key}: ${min}`,
    );
    return undefined;
  }

  /** Seconds as a number, or a string such as `90s`, `30m`, `2h`. */
  duration(o: Obj, key: string, path: string): number | undefined {
    const v = o[key];
    if (v === undefined) return undefined;
    const m = typeof v === 'string' ? /^\s*(\d+)\s*([smh]?)\s*$/.exec(v) : null;
    const seconds =
      typeof v === 'number' ? v : m ? Number(m[1]) * ({ '': 1, s: 1, m: 60, h: 3600 }[m[2]!] ?? 1) : NaN;
    if (Number.isInteger(seconds) && seconds >= 1 && seconds <= MAX_DURATION) return seconds;
    this.add(
      `${join(path, key)}`,
      `expected a duration of 1 second to 7 days (seconds, or a string such as "30m" or "2h"), got ${describeValue(v)}`,
      `write it as ${key}: 30m`,
    );
    return undefined;
  }

  name(o: Obj, path: string, noun: string, example: string): string {
    const v = o.name;
    if (v === undefined || v === null) {
      this.add(
        `${path}.name`,
        `a ${noun} needs a name`,
        `add "name: ${example}" as the first key of the ${noun}`,
      );
    } else if (typeof v !== 'string' || !isValidName(v)) {
      this.add(
        `${path}.name`,
        typeof v === 'string'
          ? `${noun} name "${v}" is invalid: a ${noun} name ${NAME_RULE}`
          : `expected a ${noun} name (a string), got ${describeValue(v)}`,
        `choose a name such as "${example}"`,
      );
    } else {
      return v;
    }
    return '';
  }
}

export function compact<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

/** A list section (`services:`, `tasks:`); each item checked, names unique within the section. */
export function checkList<T extends { name: string }>(
  c: Checker,
  section: string,
  noun: string,
  each: (raw: unknown, path: string) => T | undefined,
): T[] {
  const v = c.doc[section];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) {
    c.expected(
      section,
      v,
      `a list of ${noun}s, each starting with "- name:"`,
      `"- name: ..." (start each ${noun} with "- ")`,
    );
    return [];
  }
  const max = section === 'services' ? MAX_SERVICES : MAX_TASKS;
  if (v.length > max) {
    c.add(
      section,
      `${v.length} ${noun}s; a project may have at most ${max}`,
      `split the project in two`,
      'key',
    );
    return [];
  }
  const out: T[] = [];
  const seen = new Map<string, number>();
  v.forEach((raw, i) => {
    const spec = each(raw, `${section}[${i}]`);
    if (!spec) return;
    const first = seen.get(spec.name);
    if (first !== undefined && spec.name !== '') {
      c.add(
        `${section}[${i}].name`,
        `${noun} name "${spec.name}" is already used by ${section}[${first}]`,
        `give each ${noun} its own name`,
      );
    } else {
      seen.set(spec.name, i);
    }
    out.push(spec);
  });
  return out;
}

/** A size the platform knows, by name; whether the host can give it is the server's question. */
export function checkSizeName(c: Checker, raw: Obj, path: string): string | undefined {
  const size = c.str(raw, 'size', path, 'size: S1');
  if (size !== undefined && !findSize(size)) {
    c.add(join(path, 'size'), `unknown size ${JSON.stringify(size)}`, `use one of ${sizeNames().join(', ')}`);
    return undefined;
  }
  return size;
}
