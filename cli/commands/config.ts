import { ConfigError } from '../../core/errors.js';
import { parseAssignment, checkConfigName, type ConfigVar } from '../../domain/config-vars.js';
import { ApiClient } from '../client.js';
import { info, out, printJson, warn } from '../output.js';
import { projectPath, resolveProject } from '../project.js';
import { detachOrFollow, type Deploy } from '../follow.js';

interface Opts {
  project?: string;
  json?: boolean;
  show?: boolean;
  restart?: boolean;
  detach?: boolean;
  url?: string;
}

interface ChangeResult {
  set: string[];
  unset: string[];
  changed: string[];
  restart: { deploy?: Deploy; skipped?: string };
}

const MASK = '••••••••';

/** Values stay masked unless asked for with --show (or --json, which is for scripts). */
export async function configCommand(opts: Opts): Promise<void> {
  const project = resolveProject(opts.project);
  const withValues = Boolean(opts.show || opts.json);
  const { config } = await ApiClient.forCli(opts.url).request<{ config: ConfigVar[] }>(
    `${projectPath(project)}/config${withValues ? '?values=1' : ''}`,
  );
  if (opts.json) {
    printJson({ config: Object.fromEntries(config.map((v) => [v.name, v.value ?? ''])) });
    return;
  }
  if (!config.length)
    return void info(`${project} has no config vars. Set one with: roro config:set NAME=VALUE`);
  for (const v of config) out(`${v.name}=${withValues ? v.value : MASK}`);
  if (!withValues) info('Values are hidden; show them with: roro config --show');
}

async function change(
  project: string,
  body: { set?: Record<string, string>; unset?: string[]; restart: boolean },
  opts: Opts,
) {
  const client = ApiClient.forCli(opts.url);
  const res = await client.request<ChangeResult>(`${projectPath(project)}/config`, { method: 'PATCH', body });
  const names = [...res.set, ...res.unset].join(', ');
  info(`${res.set.length ? 'Set' : 'Unset'} ${names} on ${project}.`);
  const { deploy, skipped } = res.restart;
  if (deploy) {
    info('Restarting the running services with the new config...');
    await detachOrFollow(client, project, deploy, opts, {
      final: () => `Restarted the services of ${project} with the new config.`,
      next: 'Watch it with: roro ps',
    });
  } else if (skipped === 'no-restart')
    info(
      'Services were not restarted (--no-restart): they get the new values at their next deploy or restart.',
    );
  else if (skipped === 'unchanged') info('No value changed; services were not restarted.');
  else if (skipped === 'no-services')
    info('No service is running; the values apply from the next deploy, job or notebook.');
  else if (skipped)
    warn(`Services were not restarted: ${skipped} Restart them later with roro restart SERVICE.`);
  if (opts.json) printJson(res);
}

export async function configSetCommand(pairs: unknown, opts: Opts): Promise<void> {
  const list = Array.isArray(pairs) ? pairs.map(String) : [];
  if (!list.length)
    throw new ConfigError(
      'roro config:set needs NAME=VALUE.',
      'Run roro config:set NAME=VALUE [NAME2=VALUE2 ...].',
    );
  const set: Record<string, string> = {};
  for (const p of list) {
    try {
      const [k, v] = parseAssignment(p);
      set[k] = v;
    } catch (err) {
      throw new ConfigError((err as Error).message, 'Run roro config:set NAME=VALUE.');
    }
  }
  await change(resolveProject(opts.project), { set, restart: opts.restart !== false }, opts);
}

export async function configUnsetCommand(names: unknown, opts: Opts): Promise<void> {
  const list = Array.isArray(names) ? names.map(String) : [];
  if (!list.length)
    throw new ConfigError('roro config:unset needs a name.', 'Run roro config:unset NAME [NAME2 ...].');
  const unset = list.map((n) => {
    try {
      return checkConfigName(n);
    } catch (err) {
      throw new ConfigError((err as Error).message);
    }
  });
  await change(resolveProject(opts.project), { unset, restart: opts.restart !== false }, opts);
}
