import { ConfigError } from '../../core/errors.js';
import { checkName } from '../../core/names.js';
import { ApiClient } from '../client.js';
import { ago, info, out, printJson, table } from '../output.js';
import { projectPath, resolveProject } from '../project.js';

import type { TaskInfo } from '../../core/api-types.js';

interface TaskOptions {
  project?: string;
  json?: boolean;
  url?: string;
}

/** `in 5 minutes`, `in 2 hours`. */
export function until(iso: string | undefined, now = Date.now()): string {
  if (!iso) return '';
  const s = Math.max(0, Math.round((Date.parse(iso) - now) / 1000));
  if (s < 60) return `in ${s} seconds`;
  if (s < 3600) return `in ${Math.round(s / 60)} minutes`;
  if (s < 86400) return `in ${Math.round(s / 3600)} hours`;
  return `in ${Math.round(s / 86400)} days`;
}

export function taskRows(tasks: TaskInfo[], now = Date.now()): string[][] {
  return tasks.map((t) => [
    t.name,
    t.schedule,
    t.paused ? '' : until(t.nextRun, now),
    ago(t.lastRun, now),
    t.running > 0 ? 'running' : (t.lastStatus ?? ''),
    t.paused ? 'yes' : 'no',
  ]);
}

export async function tasksCommand(opts: TaskOptions): Promise<void> {
  const project = resolveProject(opts.project);
  const client = ApiClient.forCli(opts.url);
  const { tasks } = await client.request<{ tasks: TaskInfo[] }>(`${projectPath(project)}/tasks`);
  if (opts.json) return printJson({ tasks });
  if (tasks.length === 0) {
    info(`No tasks in ${project}. Add them to roro.yml under tasks: and run roro deploy.`);
    return;
  }
  table(['NAME', 'SCHEDULE', 'NEXT RUN', 'LAST RUN', 'LAST STATUS', 'PAUSED'], taskRows(tasks));
}

const DONE: Record<string, (t: TaskInfo) => string> = {
  pause: (t) => `Paused task ${t.name}: it will not run until roro tasks:resume ${t.name}.`,
  resume: (t) => `Resumed task ${t.name}; next run ${until(t.nextRun) || 'not scheduled'}.`,
  run: (t) => `Started task ${t.name} now. See it with: roro ps`,
};

async function taskAction(
  action: 'pause' | 'resume' | 'run',
  name: unknown,
  opts: TaskOptions,
): Promise<void> {
  if (typeof name !== 'string' || name === '')
    throw new ConfigError(`roro tasks:${action} needs a task name.`, 'Run `roro tasks` to list them.');
  checkName('task', name);
  const project = resolveProject(opts.project);
  const client = ApiClient.forCli(opts.url);
  const { task } = await client.request<{ task: TaskInfo }>(
    `${projectPath(project)}/tasks/${encodeURIComponent(name)}/${action}`,
    {
      method: 'POST',
      body: {},
    },
  );
  if (opts.json) return printJson({ task });
  out(DONE[action]!(task));
}

export const tasksPauseCommand = (name: unknown, opts: TaskOptions) => taskAction('pause', name, opts);
export const tasksResumeCommand = (name: unknown, opts: TaskOptions) => taskAction('resume', name, opts);
export const tasksRunCommand = (name: unknown, opts: TaskOptions) => taskAction('run', name, opts);
