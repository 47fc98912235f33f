import { RoroError, ValidationError } from './errors.js';

/** What one project may use at once. */
export interface Quotas {
  /** Jobs (ad hoc and scheduled) running at the same time. */
  runningJobs: number;
  /** Services in roro.yml. */
  services: number;
  /** Instances of all services together. */
  replicas: number;
  /** Bytes in all the project's volumes. */
  volumeBytes: number;
}

export type QuotaName = keyof Quotas;

const GiB = 1024 ** 3;

export const QUOTA_KEYS: Record<QuotaName, { env: string; key: string; fallback: number; what: string }> = {
  runningJobs: { env: 'RORO_QUOTA_RUNNING_JOBS', key: 'running_jobs', fallback: 20, what: 'running jobs' },
  services: { env: 'RORO_QUOTA_SERVICES', key: 'services', fallback: 20, what: 'services' },
  replicas: { env: 'RORO_QUOTA_REPLICAS', key: 'replicas', fallback: 20, what: 'service instances' },
  volumeBytes: {
    env: 'RORO_QUOTA_VOLUME_BYTES',
    key: 'volume_bytes',
    fallback: 100 * GiB,
    what: 'bytes in volumes',
  },
};

/** The platform's defaults: RORO_QUOTA_* when set to a whole number, else the built-in ones. */
export function defaultQuotas(env: NodeJS.ProcessEnv = process.env): Quotas {
  const out = {} as Quotas;
  for (const [name, spec] of Object.entries(QUOTA_KEYS) as [QuotaName, (typeof QUOTA_KEYS)[QuotaName]][]) {
    const raw = env[spec.env];
    if (raw === undefined || raw === '') {
      out[name] = spec.fallback;
      continue;
    }
    const n = Number(raw);
    if (!Number.isSafeInteger(n) || n < 0)
      throw new Error(`${spec.env}=${raw} is not a whole number: set it to 0 or more, or unset it.`);
    out[name] = n;
  }
  return out;
}

/** Parses `running_jobs=5`-style settings from an admin; every key and value is checked. */
export function parseQuotaSettings(body: unknown): Partial<Record<QuotaName, number | null>> {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new ValidationError('Send the quotas as a JSON object, e.g. {"running_jobs": 5}.');
  const byKey = new Map(Object.entries(QUOTA_KEYS).map(([name, s]) => [s.key, name as QuotaName]));
  const out: Partial<Record<QuotaName, number | null>> = {};
  for (const [key, value] of Object.entries(body)) {
    const name = byKey.get(key);
    if (!name)
      throw new ValidationError(`Unknown quota ${JSON.stringify(key).slice(0, 60)}.`, {
        hint: `Use one of ${[...byKey.keys()].join(', ')}.`,
      });
    if (value === null) {
      out[name] = null;
      continue;
    }
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
      throw new ValidationError(`Quota ${key} must be a whole number of 0 or more, or null for the default.`);
    if (name !== 'volumeBytes' && value > 100_000)
      throw new ValidationError(`Quota ${key} may be at most 100000.`);
    out[name] = value;
  }
  return out;
}

/** The error for a use past a quota: names the quota, the limit, the use, and who can raise it. */
export function quotaExceeded(name: QuotaName, limit: number, wanted: number, project: string): RoroError {
  const spec = QUOTA_KEYS[name];
  return new RoroError(
    `Project ${project} would have ${wanted} ${spec.what}; its quota ${spec.key} is ${limit}.`,
    {
      status: 403,
      code: 'quota_exceeded',
      hint: `Use less, or ask an admin to raise it: roro quotas:set ${spec.key}=N --project ${project}.`,
      details: { quota: spec.key, limit, wanted },
    },
  );
}
