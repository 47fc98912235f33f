import { ValidationError } from './errors.js';

/** A runtime: the environment every container of a project starts from. */
export interface RuntimeDefinition {
  name: string;
  /** Directory of its Dockerfile, relative to the repository root. */
  dir: string;
  /** What its Dockerfile builds on: the Debian base image or another runtime. */
  parent: { kind: 'base' } | { kind: 'runtime'; name: string };
  description: string;
}

interface ResolvedRuntime {
  runtime: RuntimeDefinition;
  /** The value as written in roro.yml (after defaulting). */
  requested: string;
  /**
   * The version tag written after `:` (e.g. `2018.03`). Recorded only: roro builds each runtime
   * from this repository, so every version of a name resolves to the same definition.
   */
  version: string | undefined;
}

const RUNTIMES: readonly RuntimeDefinition[] = [
  {
    name: 'python3',
    dir: 'runtimes/python3',
    parent: { kind: 'base' },
    description: 'Python 3.11 with numpy, pandas, scipy, scikit-learn, matplotlib and Jupyter',
  },
  {
    name: 'python3-keras',
    dir: 'runtimes/python3-keras',
    parent: { kind: 'runtime', name: 'python3' },
    description: 'python3 plus TensorFlow (CPU) and Keras',
  },
];

const DEFAULT_RUNTIME = 'python3';

/** Legacy rorodata image names that projects still carry in roro.yml. */
const ALIASES: Record<string, string> = {
  'rorodata/sandbox': 'python3',
  'rorodata/python3': 'python3',
  'rorodata/python3-keras': 'python3-keras',
};

const VERSION_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function runtimeNames(): string[] {
  return RUNTIMES.map((r) => r.name);
}

export function getRuntime(name: string): RuntimeDefinition | undefined {
  return RUNTIMES.find((r) => r.name === name);
}

function unknown(value: string): ValidationError {
  const known = [...runtimeNames(), ...Object.keys(ALIASES).filter((a) => a === 'rorodata/sandbox')];
  return new ValidationError(`Unknown runtime ${JSON.stringify(value)}: use one of ${known.join(', ')}.`, {
    code: 'invalid_runtime',
    hint: `Set runtime in roro.yml to ${DEFAULT_RUNTIME} or remove the key.`,
  });
}

/** Resolves roro.yml's `runtime` value; undefined or empty means python3. */
export function resolveRuntime(value: unknown): ResolvedRuntime {
  if (value === undefined || value === null || value === '') {
    return { runtime: getRuntime(DEFAULT_RUNTIME)!, requested: DEFAULT_RUNTIME, version: undefined };
  }
  if (typeof value !== 'string') throw unknown(String(value));
  const requested = value.trim();
  const colon = requested.lastIndexOf(':');
  const base = colon === -1 ? requested : requested.slice(0, colon);
  const version = colon === -1 ? undefined : requested.slice(colon + 1);
  if (version !== undefined && !VERSION_RE.test(version)) throw unknown(requested);
  const name = ALIASES[base.toLowerCase()] ?? base.toLowerCase();
  const runtime = getRuntime(name);
  if (!runtime) throw unknown(requested);
  return { runtime, requested, version };
}

/** The runtimes to build, parents first, for `name` (python3-keras → [python3, python3-keras]). */
export function runtimeChain(name: string): RuntimeDefinition[] {
  const chain: RuntimeDefinition[] = [];
  let current = getRuntime(name);
  // Bounded: the table is tiny and acyclic, the bound only guards a future mistake in it.
  for (let i = 0; current && i < RUNTIMES.length; i++) {
    chain.unshift(current);
    current = current.parent.kind === 'runtime' ? getRuntime(current.parent.name) : undefined;
  }
  return chain;
}
