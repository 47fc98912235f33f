import { setTimeout as sleep } from 'node:timers/promises';
import { RoroError } from '../../core/errors.js';
import { unlessNotFound } from '../api-error.js';
import { ApiClient } from '../client.js';
import { stopRun } from '../stop-run.js';
import { ago, duration, info, out, printJson } from '../output.js';
import { projectPath, resolveProject } from '../project.js';
import { announced, startRequest, withRetry } from '../retry.js';
import type { PsOptions, PsSection } from '../ps-section.js';

export type { Notebook } from '../../core/api-types.js';
import type { Notebook } from '../../core/api-types.js';

export interface RunNotebookOptions {
  size?: string;
  lab?: boolean;
  json?: boolean;
  project?: string;
  url?: string;
}

/** Jupyter needs a while to import on a small size; past this the CLI stops waiting, the session does not. */
const WAIT_SECONDS = 300;

const notebookPath = (project: string, id: string) =>
  `${projectPath(project)}/notebooks/${encodeURIComponent(id)}`;

async function waitRunning(client: ApiClient, project: string, id: string): Promise<Notebook> {
  let nb: Notebook | undefined;
  for (let i = 0; i < WAIT_SECONDS * 2; i++) {
    // The session goes on while the API or its database blinks: keep asking.
    nb = (
      await withRetry(() => client.request<{ notebook: Notebook }>(notebookPath(project, id)), announced())
    ).notebook;
    if (nb.status !== 'starting') break;
    await sleep(500);
  }
  return nb!;
}

/** `roro run:notebook`: starts a session, waits until Jupyter answers, prints its URL (with the token). */
export async function runNotebookCommand(opts: RunNotebookOptions): Promise<void> {
  const project = resolveProject(opts.project);
  const client = ApiClient.forCli(opts.url);
  const { notebook } = await startRequest(
    () =>
      client.request<{ notebook: Notebook }>(`${projectPath(project)}/notebooks`, {
        method: 'POST',
        body: { ...(opts.size ? { size: String(opts.size) } : {}), lab: Boolean(opts.lab) },
      }),
    'notebook',
    'roro ps',
  );
  info(`Starting notebook ${notebook.id} (${notebook.app}, size ${notebook.size})...`);
  const nb = await waitRunning(client, project, notebook.id);
  if (nb.status === 'starting') {
    throw new RoroError(`Notebook ${nb.id} is still starting after ${WAIT_SECONDS} s.`, {
      code: 'notebook_slow',
      hint: `Check it with \`roro ps\`; stop it with \`roro stop ${nb.id}\`.`,
    });
  }
  if (nb.status !== 'running' || !nb.url) {
    throw new RoroError(`Notebook ${nb.id} ${nb.status}: ${nb.error ?? 'no reason recorded'}`, {
      code: 'notebook_failed',
      hint: 'Fix the cause above and run `roro run:notebook` again.',
    });
  }
  if (opts.json) return printJson({ notebookid: nb.id, url: nb.url, hostUrl: nb.hostUrl });
  out(`Started notebook ${nb.id}`);
  // Jupyter needs an origin of its own: on the shared domain by path the gateway sandboxes pages.
  out(`URL: ${nb.hostUrl ?? nb.url}`);
  if (nb.hostUrl) info(`By path, for programs whose resolver does not know the host name: ${nb.url}`);
  info(`Notebooks are saved in /volumes/notebooks. Stop the session with: roro stop ${nb.id}`);
}

export const NOTEBOOK_HEADERS = ['NOTEBOOKID', 'STATUS', 'WHEN', 'TIME', 'SIZE', 'APP'];

export function notebookRows(notebooks: Notebook[], now = Date.now()): string[][] {
  return notebooks.map((n) => [
    n.id,
    n.status,
    ago(n.createdAt, now),
    duration(n.startedAt ?? n.createdAt, n.finishedAt, now),
    n.size,
    n.app === 'lab' ? 'jupyter lab' : 'jupyter notebook',
  ]);
}

/** The notebooks block of `roro ps`, after the jobs. */
export const notebooksSection: PsSection = {
  key: 'notebooks',
  async load(client, project, opts: PsOptions) {
    const { notebooks } = await client.request<{ notebooks: Notebook[] }>(
      `${projectPath(project)}/notebooks${opts.all ? '?all=1' : ''}`,
    );
    return { items: notebooks, headers: NOTEBOOK_HEADERS, rows: notebookRows(notebooks) };
  },
  empty: (project) => `No running notebooks in ${project}. Start one with: roro run:notebook`,
};

async function findNotebook(client: ApiClient, project: string, id: string): Promise<Notebook | undefined> {
  if (!/^n[a-z0-9]{1,30}$/.test(id)) return undefined;
  return (await unlessNotFound(client.request<{ notebook: Notebook }>(notebookPath(project, id))))?.notebook;
}

/** `roro stop NBID`: stops the session (route, then container); anything else goes to `otherwise`. */
export async function stopNotebookOr(
  target: unknown,
  opts: PsOptions & { detach?: boolean },
  otherwise: () => Promise<void>,
): Promise<void> {
  if (typeof target !== 'string') return otherwise();
  const project = resolveProject(opts.project);
  const client = ApiClient.forCli(opts.url);
  const nb = await findNotebook(client, project, target);
  if (!nb) return otherwise();
  await stopRun(
    client,
    nb,
    {
      noun: 'Notebook',
      path: notebookPath(project, nb.id),
      live: (status) => status === 'starting' || status === 'running',
      reload: () => findNotebook(client, project, nb.id),
    },
    opts.detach,
  );
}
