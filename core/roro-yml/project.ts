import { resolveRuntime } from '../runtimes.js';
import { isValidName, NAME_RULE } from '../names.js';
import { describeValue, type Checker } from './checker.js';

/** The rules of the top-level scalars: `project:` and `runtime:`. */

export function checkRuntime(c: Checker): string {
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

export function checkProject(c: Checker, fallback: string | undefined): string {
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
