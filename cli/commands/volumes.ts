import { ConfigError } from '../../core/errors.js';
import { checkName } from '../../core/names.js';
import type { DirEntry, Volume } from '../../api/volumes.js';
import { ApiClient } from '../client.js';
import { ago, info, printJson, table, warn } from '../output.js';
import { confirm } from '../prompt.js';
import { formatBytes } from '../progress.js';
import { projectPath, resolveProject } from '../project.js';

interface Opts {
  project?: string;
  json?: boolean;
  yes?: boolean;
  url?: string;
}

const volumesPath = (project: string) => `${projectPath(project)}/volumes`;

export async function volumesCommand(opts: Opts): Promise<void> {
  const project = resolveProject(opts.project);
  const { volumes } = await ApiClient.forCli(opts.url).request<{ volumes: Volume[] }>(volumesPath(project));
  if (opts.json) return printJson({ volumes });
  if (!volumes.length) return void info(`${project} has no volumes. Add one with: roro volumes:add NAME`);
  if (volumes.some((v) => v.node)) {
    // Cluster mode: a volume lives on one node, and containers that mount it run there.
    return table(
      ['NAME', 'MOUNTED AT', 'NODE', 'CREATED'],
      volumes.map((v) => [
        v.name,
        `/volumes/${v.name}`,
        v.node ? `${v.node.hostname} (${v.node.id.slice(0, 12)})` : '',
        ago(v.createdAt),
      ]),
    );
  }
  table(
    ['NAME', 'MOUNTED AT', 'CREATED'],
    volumes.map((v) => [v.name, `/volumes/${v.name}`, ago(v.createdAt)]),
  );
}

export async function volumesAddCommand(name: unknown, opts: Opts): Promise<void> {
  const volume = checkName('volume', String(name ?? ''));
  const project = resolveProject(opts.project);
  const res = await ApiClient.forCli(opts.url).request<{ volume: Volume }>(volumesPath(project), {
    body: { name: volume },
  });
  if (opts.json) return printJson(res);
  info(`Added volume ${volume} to ${project}.`);
  info(
    `Services get it at /volumes/${volume} from their next deploy or restart; jobs and notebooks from their next start.`,
  );
}

/** Asks first (or takes --yes); the server refuses while any container of the project runs. */
export async function volumesRemoveCommand(name: unknown, opts: Opts): Promise<void> {
  const volume = checkName('volume', String(name ?? ''));
  const project = resolveProject(opts.project);
  if (volume === 'data' || volume === 'notebooks')
    warn(`${volume} is one of the volumes every project starts with.`);
  if (!opts.yes) {
    const ok = await confirm(
      `Remove volume ${volume} of ${project} and every file on it? This cannot be undone.`,
      '--yes',
    );
    if (!ok) throw new ConfigError('Not removed: you did not confirm.', 'Answer y, or pass --yes.');
  }
  await ApiClient.forCli(opts.url).request(`${volumesPath(project)}/${encodeURIComponent(volume)}`, {
    method: 'DELETE',
  });
  info(`Removed volume ${volume} of ${project}.`);
}

/** `data` or `data:models/v2`; the part before the first colon is the volume. */
export function parseVolumeSpec(spec: string): { volume: string; path: string } {
  const i = spec.indexOf(':');
  const volume = i < 0 ? spec : spec.slice(0, i);
  return { volume: checkName('volume', volume), path: i < 0 ? '' : spec.slice(i + 1) };
}

export async function volumesLsCommand(spec: unknown, opts: Opts): Promise<void> {
  if (typeof spec !== 'string' || !spec)
    throw new ConfigError(
      'roro volumes:ls needs a volume.',
      'Run roro volumes:ls VOLUME[:DIR], e.g. roro volumes:ls data:models.',
    );
  const { volume, path } = parseVolumeSpec(spec);
  const project = resolveProject(opts.project);
  const q = new URLSearchParams({ path });
  const res = await ApiClient.forCli(opts.url).request<{
    path: string;
    entries: DirEntry[];
    truncated: boolean;
  }>(`${volumesPath(project)}/${volume}/ls?${q}`);
  if (opts.json) return printJson(res);
  if (!res.entries.length) return void info(`${volume}:${res.path} is empty.`);
  table(
    ['MODE', 'SIZE', 'MODIFIED', 'NAME'],
    res.entries.map((e) => [
      e.mode,
      e.type === 'dir' ? '-' : formatBytes(e.size),
      e.modifiedAt.replace('T', ' ').slice(0, 19),
      e.type === 'dir' ? `${e.name}/` : e.name,
    ]),
  );
  if (res.truncated) warn(`Only the first ${res.entries.length} entries are shown.`);
}
