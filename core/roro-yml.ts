import yaml from 'js-yaml';
import { join, loadWithPositions, Locator, syntaxIssue, TooManyNodes, type Issue } from './yaml-positions.js';
import { resolveRuntime } from './runtimes.js';
import { findSize, sizeNames } from './sizes.js';
import { ConfigError } from './errors.js';
import { isValidName, NAME_RULE } from './names.js';
import {
  isValidTimezone,
  normalizeTimezone,
  parseCron,
  parseWhen,
  WHEN_FORMS,
  type ScheduleSpec,
} from './schedule.js';

/**
 * roro.yml: parse, validate against REFERENCE §2 plus roro's extensions, and report every problem
 * at once with its line and column.
 *
 * Positions come from js-yaml's `listener` hook (typed in @types/js-yaml): it reports every node as it
 * opens and closes, so one pass of the same parser that produces the values also yields their
 * offsets. That keeps one YAML dialect for values and positions — a second parser only for
 * positions could disagree with js-yaml on edge cases — and needs no new dependency. The unit tests
 * pin the exact positions, so a js-yaml change that broke the hook would show at once.
 */

export type OverlapPolicy = 'skip' | 'buffer_one' | 'cancel_previous' | 'allow_all';
export const OVERLAP_POLICIES: readonly OverlapPolicy[] = [
  'skip',
  'buffer_one',
  'cancel_previous',
  'allow_all',
];

export interface ServiceSpec {
  name: string;
  /** Exactly one of `function` (`module.func`) and `command` is set. */
  function?: string;
  command?: string;
  directory?: string;
  size?: string;
  corsAllowOrigins?: string[];
  replicas: number;
  healthPath?: string;
  timeoutSeconds?: number;
  startTimeoutSeconds?: number;
  env: Record<string, string>;
}

export interface TaskSpec {
  name: string;
  command: string;
  /** Exactly one of `when` and `cron` is set, as written; `schedule` is what it compiles to. */
  when?: string;
  cron?: string;
  timezone: string;
  schedule: ScheduleSpec;
  size?: string;
  timeoutSeconds?: number;
  retries: number;
  overlap: OverlapPolicy;
}

export interface RoroYml {
  project: string;
  runtime: string;
  services: ServiceSpec[];
  tasks: TaskSpec[];
}

export type { Issue } from './yaml-positions.js';

export interface ParseOptions {
  filename?: string;
  /** The project from RORO_PROJECT; used when the file has no `project:`. */
  project?: string;
}

const TOP_KEYS = ['project', 'runtime', 'services', 'tasks'];
const SERVICE_KEYS = ['name', 'function', 'command', 'directory', 'size', 'cors_allow_origins'];
// roro's extensions, beside the keys rorodata projects use.
SERVICE_KEYS.push('replicas', 'health_path', 'timeout', 'start_timeout', 'env');
const TASK_KEYS = ['name', 'command', 'when', 'cron', 'timezone', 'size', 'timeout', 'retries', 'overlap'];
const FUNCTION_RE = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+$/;
const ENV_NAME_RE = /^[A-Z_][A-Z0-9_]*$/;
const MAX_DURATION = 7 * 24 * 3600;
/** Limits checked before and while parsing: a roro.yml is a few hundred bytes. */
export const MAX_RORO_YML_CHARS = 64 * 1024;
export const MAX_RORO_YML_NODES = 5000;
export const MAX_SERVICES = 50;
export const MAX_TASKS = 100;

// ---------- schema ----------

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

function describeValue(v: unknown): string {
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

function suggest(key: string, allowed: readonly string[]): string | undefined {
  const limit = key.length <= 4 ? 1 : 2;
  let best: string | undefined;
  let bestD = limit + 1;
  for (const k of allowed) {
    const d = distance(key.toLowerCase(), k);
    if (d < bestD) [best, bestD] = [k, d];
  }
  return best;
}

class Checker {
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

/** Unknown keys, with a suggestion or, for a key at the wrong level, where it belongs. */
function checkKeys(c: Checker, o: Obj, path: string, allowed: readonly string[], noun: string): void {
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

function checkDirectory(c: Checker, o: Obj, path: string): string | undefined {
  const dir = c.str(o, 'directory', path, 'directory: src');
  if (dir === undefined) return undefined;
  const parts = dir.replace(/\\/g, '/').split('/');
  if (dir.startsWith('/') || /^[A-Za-z]:/.test(dir) || parts.includes('..')) {
    c.add(
      `${path}.directory`,
      `directory "${dir}" must stay inside the project`,
      'write a path relative to the project root without "..", e.g. "src"',
    );
    return undefined;
  }
  return parts.filter((p) => p !== '' && p !== '.').join('/') || '.';
}

function checkCors(c: Checker, o: Obj, path: string): string[] | undefined {
  const v = o.cors_allow_origins;
  if (v === undefined) return undefined;
  if (typeof v === 'string' && v.trim() !== '') return [v];
  if (Array.isArray(v) && v.length > 0) {
    const bad = v.flatMap((x, i) => (typeof x === 'string' && x.trim() !== '' ? [] : [i]));
    for (const i of bad) {
      c.expected(`${path}.cors_allow_origins[${i}]`, v[i], 'an origin string', '"https://app.example.com"');
    }
    return bad.length === 0 ? (v as string[]) : undefined;
  }
  c.expected(
    `${path}.cors_allow_origins`,
    v,
    'an origin string or a list of them',
    'cors_allow_origins: "*"',
  );
  return undefined;
}

function checkEnv(c: Checker, o: Obj, path: string): Record<string, string> {
  const v = o.env;
  const env: Record<string, string> = {};
  if (v === undefined || v === null) return env;
  if (!isObj(v)) {
    c.expected(`${path}.env`, v, 'a mapping of NAME: value', 'env: {MODEL_NAME: "credit-risk"}');
    return env;
  }
  for (const [name, value] of Object.entries(v)) {
    if (!ENV_NAME_RE.test(name)) {
      c.add(
        `${path}.env.${name}`,
        `environment variable name "${name}" must be upper-case letters, digits and _, not starting with a digit`,
        `rename it, e.g. "${name.toUpperCase().replace(/[^A-Z0-9_]/g, '_')}"`,
        'key',
      );
    } else if (typeof value !== 'string') {
      c.add(
        `${path}.env.${name}`,
        `expected a string value, got ${describeValue(value)}`,
        `quote the value: ${name}: "${value === null ? '' : String(value)}"`,
      );
    } else {
      env[name] = value;
    }
  }
  return env;
}

function checkService(c: Checker, raw: unknown, path: string): ServiceSpec | undefined {
  if (!isObj(raw)) {
    c.expected(
      path,
      raw,
      'a mapping with "name:" and "function:" or "command:"',
      '"- name: default" with "function: predict.predict" below it',
    );
    return undefined;
  }
  checkKeys(c, raw, path, SERVICE_KEYS, 'service');
  const name = c.name(raw, path, 'service', 'default');
  const fn = c.str(raw, 'function', path, 'function: predict.predict');
  const command = c.str(raw, 'command', path, 'command: "python app.py"');
  if (fn !== undefined && !FUNCTION_RE.test(fn)) {
    c.add(
      `${path}.function`,
      `"${fn}" is not a module.function path`,
      'name the module and the function, e.g. "predict.predict" for def predict() in predict.py',
    );
  }
  if (raw.function !== undefined && raw.command !== undefined) {
    c.add(`${path}.command`, 'a service has either "function" or "command", not both', 'remove one of them');
  } else if (
    raw.function === undefined &&
    raw.command === undefined &&
    !c.reportedElsewhere(raw, ['function', 'command'], SERVICE_KEYS)
  ) {
    c.add(
      path,
      'a service needs "function" (a Python function to serve) or "command" (a process listening on $PORT)',
      'add e.g. "function: predict.predict" under the service, aligned with "name"',
    );
  }
  const health = c.str(raw, 'health_path', path, 'health_path: /health');
  if (health !== undefined && !health.startsWith('/')) {
    c.add(
      `${path}.health_path`,
      `health_path "${health}" must start with /`,
      `write it as health_path: /${health}`,
    );
  }
  return compact({
    name,
    function: fn,
    command,
    directory: checkDirectory(c, raw, path),
    size: checkSizeName(c, raw, path),
    corsAllowOrigins: checkCors(c, raw, path),
    replicas: c.int(raw, 'replicas', path, 1, 10) ?? 1,
    healthPath: health,
    timeoutSeconds: c.duration(raw, 'timeout', path),
    startTimeoutSeconds: c.duration(raw, 'start_timeout', path),
    env: checkEnv(c, raw, path),
  });
}

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

function checkTask(c: Checker, raw: unknown, path: string): TaskSpec | undefined {
  if (!isObj(raw)) {
    c.expected(
      path,
      raw,
      'a mapping with "name:", "command:" and "when:"',
      '"- name: train" with "command: python train.py" and "when: every day at 10:00 AM" below it',
    );
    return undefined;
  }
  checkKeys(c, raw, path, TASK_KEYS, 'task');
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

function compact<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

/** A list section (`services:`, `tasks:`); each item checked, names unique within the section. */
function checkList<T extends { name: string }>(
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
function checkSizeName(c: Checker, raw: Obj, path: string): string | undefined {
  const size = c.str(raw, 'size', path, 'size: S1');
  if (size !== undefined && !findSize(size)) {
    c.add(join(path, 'size'), `unknown size ${JSON.stringify(size)}`, `use one of ${sizeNames().join(', ')}`);
    return undefined;
  }
  return size;
}

function checkRuntime(c: Checker): string {
  const runtime = c.str(c.doc, 'runtime', '', 'runtime: python3');
  if (runtime === undefined) return 'python3';
  try {
    resolveRuntime(runtime);
  } catch (err) {
    // "Unknown runtime "x": use one of a, b, c." → message and fix.
    const [problem, fix] = (err as Error).message.split(': ');
    c.add('runtime', problem!.replace(/^U/, 'u'), (fix ?? '').replace(/\.$/, ''));
  }
  return runtime;
}

function checkProject(c: Checker, fallback: string | undefined): string {
  const v = c.doc.project;
  if (v === undefined || v === null) {
    if (fallback === undefined) {
      c.add(
        'project',
        'the project name is missing',
        'add "project: <name>" as the first line, e.g. "project: credit-risk", or set RORO_PROJECT',
      );
    } else if (!isValidName(fallback)) {
      c.add(
        'project',
        `RORO_PROJECT "${fallback}" is not a valid project name: a project name ${NAME_RULE}`,
        'set RORO_PROJECT to a name such as "credit-risk"',
      );
    }
    return fallback ?? '';
  }
  if (typeof v !== 'string' || !isValidName(v)) {
    c.add(
      'project',
      typeof v === 'string'
        ? `project name "${v}" is invalid: a project name ${NAME_RULE}`
        : `expected a project name (a string), got ${describeValue(v)}`,
      'choose a name such as "credit-risk"',
    );
    return '';
  }
  return v;
}

// ---------- entry points ----------

/** Validates roro.yml text and returns every issue, sorted by position; `config` only when there are none. */
export function validateRoroYml(
  text: string,
  opts: ParseOptions = {},
): { config?: RoroYml; issues: Issue[] } {
  if (text.length > MAX_RORO_YML_CHARS) {
    const issue = {
      path: '',
      line: 1,
      column: 1,
      message: `the file is ${Math.ceil(text.length / 1024)} KB; roro.yml may be at most ${MAX_RORO_YML_CHARS / 1024} KB`,
      hint: 'keep roro.yml to the project, its services and tasks; data belongs in files or volumes',
    };
    return { issues: [issue] };
  }
  let loaded: ReturnType<typeof loadWithPositions>;
  try {
    loaded = loadWithPositions(text, opts.filename ?? 'roro.yml', MAX_RORO_YML_NODES);
  } catch (err) {
    if (err instanceof yaml.YAMLException)
      return { issues: [syntaxIssue(text, err, { top: TOP_KEYS, service: SERVICE_KEYS, task: TASK_KEYS })] };
    if (err instanceof TooManyNodes) {
      const before = text.slice(0, err.position).split('\n');
      const issue = {
        path: '',
        line: before.length,
        column: before.at(-1)!.length + 1,
        message: `roro.yml has more than ${err.limit} keys and values`,
        hint: `keep it under ${err.limit}: a project needs a few dozen`,
      };
      return { issues: [issue] };
    }
    throw err;
  }
  const { doc, spots } = loaded;
  const loc = new Locator(text, spots);
  if (!isObj(doc)) {
    const message =
      doc === undefined || doc === null
        ? 'the file is empty'
        : `expected a mapping of keys (project:, services:, ...), got ${describeValue(doc)}`;
    const issue = {
      path: '',
      line: 1,
      column: 1,
      message,
      hint: 'start the file with "project: <name>", then "services:" and "tasks:" as needed',
    };
    return { issues: [issue] };
  }
  const c = new Checker(loc, doc);
  checkKeys(c, doc, '', TOP_KEYS, 'project');
  const config: RoroYml = {
    project: checkProject(c, opts.project),
    runtime: checkRuntime(c),
    services: checkList(c, 'services', 'service', (raw, path) => checkService(c, raw, path)),
    tasks: checkList(c, 'tasks', 'task', (raw, path) => checkTask(c, raw, path)),
  };
  const issues = [...c.issues].sort((a, b) => a.line - b.line || a.column - b.column);
  return issues.length === 0 ? { config, issues } : { issues };
}

/** `roro.yml: 2 problems found:` then one `  line:col path: message (fix: hint)` line per issue. */
export function formatIssues(issues: readonly Issue[], filename = 'roro.yml'): string {
  const head = `${filename}: ${issues.length} problem${issues.length === 1 ? '' : 's'} found:`;
  const lines = issues.map(
    (i) => `  ${i.line}:${i.column} ${i.path ? `${i.path}: ` : ''}${i.message} (fix: ${i.hint})`,
  );
  return [head, ...lines].join('\n');
}

/** Parses roro.yml; throws ConfigError whose `details` lists every issue. */
export function parseRoroYml(text: string, opts: ParseOptions = {}): RoroYml {
  const { config, issues } = validateRoroYml(text, opts);
  if (config) return config;
  const filename = opts.filename ?? 'roro.yml';
  throw new ConfigError(
    formatIssues(issues, filename),
    `Fix the problems listed above in ${filename} and run the command again.`,
    issues,
  );
}
