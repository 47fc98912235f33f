import yaml from 'js-yaml';
import { loadWithPositions, Locator, syntaxIssue, TooManyNodes, type Issue } from './yaml-positions.js';
import { ConfigError } from './errors.js';
import { checkList, Checker, describeValue, isObj } from './roro-yml/checker.js';
import { checkKeys } from './roro-yml/keys.js';
import { checkProject, checkRuntime } from './roro-yml/project.js';
import { checkService } from './roro-yml/services.js';
import { checkTask } from './roro-yml/tasks.js';
import {
  MAX_RORO_YML_CHARS,
  MAX_RORO_YML_NODES,
  SERVICE_KEYS,
  TASK_KEYS,
  TOP_KEYS,
  type ParseOptions,
  type RoroYml,
} from './roro-yml/types.js';

export { MAX_RORO_YML_CHARS, MAX_RORO_YML_NODES, MAX_SERVICES } from './roro-yml/types.js';
export type { Issue, OverlapPolicy, RoroYml, ServiceSpec, TaskSpec } from './roro-yml/types.js';

/**
 * roro.yml: parse, validate against REFERENCE §2 plus roro's extensions, and report every problem
 * at once with its line and column. The types live in roro-yml/types.ts, the checker in
 * roro-yml/checker.ts, and the rules of each section beside them.
 *
 * Positions come from js-yaml's `listener` hook (typed in @types/js-yaml): it reports every node as it
 * opens and closes, so one pass of the same parser that produces the values also yields their
 * offsets. That keeps one YAML dialect for values and positions — a second parser only for
 * positions could disagree with js-yaml on edge cases — and needs no new dependency. The unit tests
 * pin the exact positions, so a js-yaml change that broke the hook would show at once.
 */

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
