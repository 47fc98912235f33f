import crypto from 'node:crypto';
import type { Pool } from 'pg';
import type { Client } from '@temporalio/client';
import type { PlatformEnv } from '../core/config.js';
import { NotFoundError, ValidationError } from '../core/errors.js';
import { localHostCapacity, resolveSize } from '../core/sizes.js';
import type { NotebookSessionInput } from '../workflows/notebook-session.js';
import type { Project } from './projects.js';
import { cancelWorkflow, startWorkflowResource, type WorkflowDeps } from './workflow-resources.js';
import type { Notebook } from '../core/api-types.js';
import type { ContainerDriver } from '../containers/driver.js';
import { lastLogLines } from '../containers/last-lines.js';
import { notebookContainerName, notebookLabel, notebookService } from '../core/notebook-names.js';
import { openToken } from '../domain/notebook-tokens.js';
import { latestRelease } from '../db/releases.js';

export const newNotebookId = () => `n${Date.now().toString(36)}${crypto.randomBytes(2).toString('hex')}`;
const ID_RE = /^n[a-z0-9]{1,30}$/;

const COLUMNS = `id, status, app, size, service, error, release_version, created_at, started_at, finished_at,
  workflow_id, token_sealed`;

interface Row {
  id: string;
  status: Notebook['status'];
  app: Notebook['app'];
  size: string;
  service: string;
  error: string | null;
  release_version: number | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  workflow_id: string;
  token_sealed: string | null;
}

function toNotebook(r: Row): Notebook {
  const iso = (d: Date | null) => (d ? d.toISOString() : undefined);
  return {
    id: r.id,
    status: r.status,
    app: r.app,
    size: r.size,
    service: r.service,
    error: r.error ?? undefined,
    release: r.release_version ?? undefined,
    createdAt: r.created_at.toISOString(),
    startedAt: iso(r.started_at),
    finishedAt: iso(r.finished_at),
  };
}

/** The session's URLs with its token; the caller has already been checked to be a project member. */
function notebookUrls(env: PlatformEnv, project: string, r: Row): Pick<Notebook, 'url' | 'hostUrl'> {
  if (r.status !== 'running' || !r.token_sealed) return {};
  const token = openToken(env.home, r.id, r.token_sealed);
  const label = notebookLabel(project, r.id);
  const page = `${r.app === 'lab' ? 'lab' : 'tree'}?token=${token}`;
  return {
    url: `${env.gatewayUrl}/${label}/${page}`,
    hostUrl: `https://${label}.${env.domain}:${env.ports.gatewayHttps}/${page}`,
  };
}

/** Records the session and starts notebook:<project>:<id>; answers at once, the workflow does the rest. */
export async function startNotebook(
  deps: WorkflowDeps,
  project: Project,
  userId: string,
  body: { size?: unknown; lab?: unknown },
): Promise<Notebook> {
  if (body.size !== undefined && typeof body.size !== 'string')
    throw new ValidationError('"size" must be a size name such as S1.');
  if (body.lab !== undefined && typeof body.lab !== 'boolean')
    throw new ValidationError('"lab" must be true (JupyterLab) or false (the classic notebook).');
  const size = resolveSize(body.size, localHostCapacity()).name;
  if (!(await latestRelease(deps.db, project.id))) {
    throw new ValidationError(
      `Project ${project.name} has no deployed code yet: a notebook runs in the image of the last release.`,
      { code: 'no_release', hint: 'Deploy first with `roro deploy`, then run the notebook again.' },
    );
  }
  const id = newNotebookId();
  const input: NotebookSessionInput = { projectId: project.id, project: project.name, notebookId: id };
  await startWorkflowResource(deps, { kind: 'notebook', id, project, input }, async (workflowId) => {
    await deps.db.query(
      `INSERT INTO notebooks (id, project_id, workflow_id, service, app, size, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [id, project.id, workflowId, notebookService(id), body.lab ? 'lab' : 'notebook', size, userId],
    );
  });
  return toNotebook(await notebookRow(deps.db, project.id, id));
}

export async function listNotebooks(db: Pool, projectId: string, all: boolean): Promise<Notebook[]> {
  const res = await db.query<Row>(
    `SELECT ${COLUMNS} FROM notebooks WHERE project_id = $1
     ${all ? '' : `AND status IN ('starting', 'running')`} ORDER BY created_at DESC LIMIT 200`,
    [projectId],
  );
  return res.rows.map(toNotebook);
}

async function notebookRow(db: Pool, projectId: string, id: string): Promise<Row> {
  const res = ID_RE.test(id)
    ? await db.query<Row>(`SELECT ${COLUMNS} FROM notebooks WHERE project_id = $1 AND id = $2`, [
        projectId,
        id,
      ])
    : { rows: [] };
  const row = res.rows[0];
  if (!row) throw new NotFoundError(`Notebook ${id} not found.`, 'Run `roro ps -a` to list notebooks.');
  return row;
}

export async function getNotebook(
  env: PlatformEnv,
  db: Pool,
  project: Project,
  id: string,
): Promise<Notebook> {
  const row = await notebookRow(db, project.id, id);
  return { ...toNotebook(row), ...notebookUrls(env, project.name, row) };
}

/** Cancels the session's workflow; its cleanup removes the route and the container, then records `stopped`. */
export async function stopNotebook(
  deps: { db: Pool; temporal: Client },
  projectId: string,
  id: string,
): Promise<Notebook> {
  const row = await notebookRow(deps.db, projectId, id);
  if (row.status === 'starting' || row.status === 'running')
    await cancelWorkflow(deps.temporal, row.workflow_id);
  return toNotebook(row);
}

/** Jupyter's recent output while its container exists, with the token masked. */
export async function notebookLogs(
  env: PlatformEnv,
  driver: ContainerDriver,
  db: Pool,
  project: Project,
  id: string,
  tail: number,
): Promise<{ notebook: Notebook; lines: string[] }> {
  const row = await notebookRow(db, project.id, id);
  const token = row.token_sealed ? openToken(env.home, row.id, row.token_sealed) : undefined;
  const lines = await lastLogLines(driver, notebookContainerName(project.name, id), { n: tail, mask: token });
  return { notebook: toNotebook(row), lines };
}
