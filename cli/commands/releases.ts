import { ConfigError } from '../../core/errors.js';
import { ApiClient } from '../client.js';
import { ago, info, printJson, table } from '../output.js';
import type { DoneData } from '../progress.js';
import { projectPath, resolveProject } from '../project.js';
import { detachOrFollow } from '../follow.js';
import type { Deploy } from '../follow.js';

export interface Release {
  version: number;
  kind: 'deploy' | 'rollback' | 'restart';
  createdAt: string;
  createdBy: string;
  codeSha256: string;
  image: string;
  current: boolean;
  rollbackOf?: number;
}

interface ProjectOptions {
  project?: string;
  json?: boolean;
  url?: string;
}

function kindLabel(r: Release): string {
  return r.kind === 'rollback' && r.rollbackOf !== undefined ? `rollback to v${r.rollbackOf}` : r.kind;
}

export function releaseRows(releases: Release[], now = Date.now()): string[][] {
  return releases.map((r) => [
    `v${r.version}`,
    kindLabel(r),
    ago(r.createdAt, now),
    r.createdBy ?? '',
    (r.codeSha256 ?? '').slice(0, 12),
    r.image ?? '',
    r.current ? '*' : '',
  ]);
}

export async function releasesCommand(opts: ProjectOptions): Promise<void> {
  const project = resolveProject(opts.project);
  const client = ApiClient.forCli(opts.url);
  const { releases } = await client.request<{ releases: Release[] }>(`${projectPath(project)}/releases`);
  if (opts.json) return printJson({ releases });
  if (releases.length === 0) {
    info(`No releases of ${project} yet. Deploy with: roro deploy`);
    return;
  }
  table(['VERSION', 'KIND', 'CREATED', 'BY', 'CODE', 'IMAGE', 'CURRENT'], releaseRows(releases));
}

/** `5` or `v5`; anything else is a usage error. */
export function parseVersion(raw: unknown): number | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  const text = String(raw).trim().replace(/^v/i, '');
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < 1) {
    throw new ConfigError(
      `Version ${JSON.stringify(String(raw))} is not a release number.`,
      'Pass a version from roro releases, e.g. roro rollback 4.',
    );
  }
  return n;
}

export function rollbackLine(project: string, target: number | undefined, data: DoneData): string {
  const to = data.rollbackOf ?? target;
  const now = data.version !== undefined ? ` (now version ${data.version})` : '';
  return to !== undefined
    ? `Rolled back to version ${to} of ${project} project${now}.`
    : `Rolled back ${project} project${now}.`;
}

export async function rollbackCommand(
  version: unknown,
  opts: ProjectOptions & { detach?: boolean },
): Promise<void> {
  const target = parseVersion(version);
  const project = resolveProject(opts.project);
  const client = ApiClient.forCli(opts.url);
  const { deploy } = await client.request<{ deploy: Deploy }>(`${projectPath(project)}/rollbacks`, {
    method: 'POST',
    body: target === undefined ? {} : { version: target },
  });
  info(`Rolling back ${project} to ${target === undefined ? 'the previous release' : `version ${target}`}.`);
  await detachOrFollow(client, project, deploy, opts, {
    final: (d) => rollbackLine(project, target, d),
    next: 'Watch it with: roro ps',
    showRestarted: true,
  });
}
