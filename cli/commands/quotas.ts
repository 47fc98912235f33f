import { ConfigError } from '../../core/errors.js';
import { ApiClient } from '../client.js';
import { info, printJson, table } from '../output.js';
import { formatBytes } from '../progress.js';
import { projectPath, resolveProject } from '../project.js';

interface Quota {
  name: string;
  limit: number;
  used: number;
}

interface Opts {
  project?: string;
  json?: boolean;
  url?: string;
}

const show = (name: string, n: number) => (name === 'volume_bytes' ? formatBytes(n) : String(n));

function print(project: string, quotas: Quota[], json?: boolean): void {
  if (json) return printJson({ quotas });
  table(
    ['QUOTA', 'USED', 'LIMIT'],
    quotas.map((q) => [q.name, show(q.name, q.used), show(q.name, q.limit)]),
  );
  info(`An admin changes them with: roro quotas:set NAME=N --project ${project}`);
}

export async function quotasCommand(opts: Opts): Promise<void> {
  const project = resolveProject(opts.project);
  const { quotas } = await ApiClient.forCli(opts.url).request<{ quotas: Quota[] }>(
    `${projectPath(project)}/quotas`,
  );
  print(project, quotas, opts.json);
}

/** `running_jobs=5 volume_bytes=10737418240 replicas=default` */
export async function quotasSetCommand(pairs: string[], opts: Opts): Promise<void> {
  const project = resolveProject(opts.project);
  if (!pairs.length)
    throw new ConfigError('roro quotas:set needs NAME=N.', 'For example: roro quotas:set running_jobs=5.');
  const body: Record<string, number | null> = {};
  for (const pair of pairs) {
    const m = /^([a-z_]+)=(\d+|default)$/.exec(pair);
    if (!m)
      throw new ConfigError(
        `${pair} is not NAME=N.`,
        'Give a whole number, or "default" to go back to the platform default, e.g. running_jobs=5.',
      );
    body[m[1]!] = m[2] === 'default' ? null : Number(m[2]);
  }
  const { quotas } = await ApiClient.forCli(opts.url).request<{ quotas: Quota[] }>(
    `${projectPath(project)}/quotas`,
    { method: 'PUT', body },
  );
  print(project, quotas, opts.json);
}
