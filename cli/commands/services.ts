import { checkName } from '../../core/names.js';
import { ConfigError } from '../../core/errors.js';
import { ApiClient } from '../client.js';
import { info, out, printJson, table } from '../output.js';
import { projectPath, resolveProject } from '../project.js';
import { detachOrFollow } from '../follow.js';
import type { Deploy } from '../follow.js';
import { jobsSection, stopJobOrService } from './jobs.js';
import { notebooksSection, stopNotebookOr } from './notebooks.js';
import type { PsOptions, PsSection } from '../ps-section.js';

export interface Service {
  name: string;
  /** What runs now: running, degraded, crash-looping, down, deploying or stopped. */
  status: 'running' | 'degraded' | 'crash-looping' | 'down' | 'deploying' | 'stopped';
  release: number | null;
  url: string;
  /** Instances wanted. */
  instances: number;
  running: number;
  ready: number;
  restarts: number;
  lastExit: { reason: string; at: string } | null;
  updatedAt: string;
}

function ago(iso: string, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 90) return `${s}s ago`;
  if (s < 90 * 60) return `${Math.round(s / 60)}m ago`;
  if (s < 36 * 3600) return `${Math.round(s / 3600)}h ago`;
  return `${Math.round(s / 86400)}d ago`;
}

export function serviceRows(services: Service[], now = Date.now()): string[][] {
  return services.map((s) => [
    s.name,
    s.status,
    s.release === null || s.release === undefined ? '' : `v${s.release}`,
    `${s.running ?? 0}/${s.instances}`,
    String(s.ready ?? 0),
    String(s.restarts ?? 0),
    s.lastExit ? `${s.lastExit.reason}, ${ago(s.lastExit.at, now)}` : '',
    s.url ?? '',
  ]);
}

export const servicesSection: PsSection = {
  key: 'services',
  async load(client, project) {
    const { services } = await client.request<{ services: Service[] }>(`${projectPath(project)}/services`);
    return {
      items: services,
      headers: ['NAME', 'STATUS', 'RELEASE', 'RUNNING', 'READY', 'RESTARTS', 'LAST EXIT', 'URL'],
      rows: serviceRows(services),
    };
  },
  empty: (project) => `No services in ${project}. Add them to roro.yml under services: and run roro deploy.`,
};

export const PS_SECTIONS: PsSection[] = [servicesSection, jobsSection, notebooksSection];

export async function psCommand(opts: PsOptions): Promise<void> {
  const project = resolveProject(opts.project);
  const client = ApiClient.forCli(opts.url);
  const loaded = await Promise.all(
    PS_SECTIONS.map(async (s) => ({ section: s, ...(await s.load(client, project, opts)) })),
  );
  if (opts.json) return printJson(Object.fromEntries(loaded.map((l) => [l.section.key, l.items])));
  loaded.forEach((l, i) => {
    if (i > 0) out();
    if (l.items.length === 0) info(l.section.empty(project));
    else table(l.headers, l.rows);
  });
}

type Action = 'start' | 'stop' | 'restart';

const DONE_WORDS: Record<Action, string> = { start: 'Started', stop: 'Stopped', restart: 'Restarted' };

async function serviceAction(
  action: Action,
  service: unknown,
  opts: PsOptions & { detach?: boolean },
): Promise<void> {
  if (typeof service !== 'string' || service === '') {
    throw new ConfigError(
      `roro ${action} needs a service name.`,
      `Run roro ${action} SERVICE; roro ps lists them.`,
    );
  }
  checkName('service', service);
  const project = resolveProject(opts.project);
  const client = ApiClient.forCli(opts.url);
  const path = `${projectPath(project)}/services/${encodeURIComponent(service)}/${action}`;
  const { deploy } = await client.request<{ deploy: Deploy }>(path, { method: 'POST', body: {} });
  await detachOrFollow(client, project, deploy, opts, {
    final: () => `${DONE_WORDS[action]} service ${service} of ${project} project.`,
    next: action === 'stop' ? `Start it again with: roro start ${service}` : 'Watch it with: roro ps',
  });
}

export const startCommand = (service: unknown, opts: PsOptions & { detach?: boolean }) =>
  serviceAction('start', service, opts);
export const stopCommand = (service: unknown, opts: PsOptions & { detach?: boolean }) =>
  stopJobOrService(service, opts, () =>
    stopNotebookOr(service, opts, () => serviceAction('stop', service, opts)),
  );
export const restartCommand = (service: unknown, opts: PsOptions & { detach?: boolean }) =>
  serviceAction('restart', service, opts);
