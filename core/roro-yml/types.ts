import type { ScheduleSpec } from '../schedule.js';

/* What a valid roro.yml becomes, and the limits and keys that the checks share. */

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
  /** The project volumes it mounts; every volume of the project when omitted, none for `[]`. */
  volumes?: string[];
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

export type { Issue } from '../yaml-positions.js';

export interface ParseOptions {
  filename?: string;
  /** The project from RORO_PROJECT; used when the file has no `project:`. */
  project?: string;
}

export const TOP_KEYS = ['project', 'runtime', 'services', 'tasks'];

export const SERVICE_KEYS = ['name', 'function', 'command', 'directory', 'size', 'cors_allow_origins'];
// roro's extensions, beside the keys rorodata projects use.
SERVICE_KEYS.push('replicas', 'health_path', 'timeout', 'start_timeout', 'env', 'volumes');
/** At most this many names under a service's `volumes:`. */
export const MAX_SERVICE_VOLUMES = 20;

export const TASK_KEYS = [
  'name',
  'command',
  'when',
  'cron',
  'timezone',
  'size',
  'timeout',
  'retries',
  'overlap',
];

export const MAX_DURATION = 7 * 24 * 3600;

/** Limits checked before and while parsing: a roro.yml is a few hundred bytes. */
export const MAX_RORO_YML_CHARS = 64 * 1024;

export const MAX_RORO_YML_NODES = 5000;

export const MAX_SERVICES = 50;

export const MAX_TASKS = 100;
