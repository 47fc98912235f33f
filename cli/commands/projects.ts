import { ApiClient } from '../client.js';
import { ConfigError } from '../../core/errors.js';
import { ago, info, printJson, table } from '../output.js';
import { confirm } from '../prompt.js';
import type { Project } from '../../api/projects.js';

export async function projectsCommand(opts: { json?: boolean; url?: string }) {
  const { projects } = await ApiClient.forCli(opts.url).request<{ projects: Project[] }>('/v1/projects');
  if (opts.json) return printJson({ projects });
  if (projects.length === 0) return info('No projects yet. Create one with `roro create NAME`.');
  table(
    ['NAME', 'OWNER', 'ROLE', 'CREATED'],
    projects.map((p) => [p.name, p.owner, p.role, ago(p.createdAt)]),
  );
}

export async function createCommand(name: string, opts: { json?: boolean; url?: string }) {
  const { project } = await ApiClient.forCli(opts.url).request<{ project: Project }>('/v1/projects', {
    body: { name },
  });
  if (opts.json) return printJson({ project });
  info(`Created project ${project.name} with volumes data and notebooks.`);
}

export async function projectsDeleteCommand(name: string, opts: { yes?: boolean; url?: string }) {
  if (!opts.yes) {
    const ok = await confirm(
      `Delete project ${name}, its services, jobs and volumes? This cannot be undone.`,
      '--yes',
    );
    if (!ok) throw new ConfigError('Not deleted: you did not confirm.', 'Answer y, or pass --yes.');
  }
  await ApiClient.forCli(opts.url).request(`/v1/projects/${encodeURIComponent(name)}`, { method: 'DELETE' });
  info(`Deleted project ${name}.`);
}
