import { checkSizeName, compact, describeValue, isObj, type Checker, type Obj } from './checker.js';
import { checkItem } from './keys.js';
import { isValidName } from '../names.js';
import { MAX_SERVICE_VOLUMES, SERVICE_KEYS, type ServiceSpec } from './types.js';

/** The rules of one item of `services:`. */

const FUNCTION_RE = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+$/;

const ENV_NAME_RE = /^[A-Z_][A-Z0-9_]*$/;

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

/** `volumes:`, the project volumes the service mounts: names, or [] for none. */
function checkVolumes(c: Checker, o: Obj, path: string): string[] | undefined {
  const v = o.volumes;
  if (v === undefined) return undefined;
  if (
    Array.isArray(v) &&
    v.length <= MAX_SERVICE_VOLUMES &&
    v.every((x) => typeof x === 'string' && isValidName(x))
  )
    return [...new Set(v as string[])];
  c.expected(
    `${path}.volumes`,
    v,
    `a list of at most ${MAX_SERVICE_VOLUMES} of the project's volume names, or [] for none`,
    'volumes: [data]',
  );
  return undefined;
}

export function checkService(c: Checker, item: unknown, path: string): ServiceSpec | undefined {
  const raw = checkItem(c, item, path, 'service');
  if (!raw) return undefined;
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
    volumes: checkVolumes(c, raw, path),
  });
}
