import type { Pool } from 'pg';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { PlatformEnv } from '../core/config.js';
import { RoroError } from '../core/errors.js';
import { workflowIds } from '../temporal/ids.js';
import { KIND_ATTR, PROJECT_ATTR } from '../temporal/search-attributes.js';
import type { NotebookSessionInput } from '../workflows/notebook-session.js';
import type { RunJobInput } from '../workflows/run-job-input.js';
import type { AppDeps } from './deps.js';
import type { Project } from './projects.js';
import { isTemporalUnreachable, workflowNotStarted } from './workflow-start.js';

/**
 * Jobs and notebook sessions are rows whose life is one workflow each: the API records the row and
 * starts the workflow, and stopping one cancels the workflow, whose own cleanup ends the row.
 */

export interface WorkflowDeps {
  env: PlatformEnv;
  db: Pool;
  temporal: Client;
}

/** The API's dependencies with its Temporal client; a 503 when the API runs without one. */
export function workflowDeps(deps: AppDeps): WorkflowDeps {
  if (!deps.temporal)
    throw new RoroError('The API has no Temporal connection.', { code: 'unavailable', status: 503 });
  return { env: deps.env, db: deps.db, temporal: deps.temporal };
}

/** Starts a workflow of a project, with the search attributes that list it by project and kind. */
export function startProjectWorkflow<Args extends unknown[]>(
  deps: Pick<WorkflowDeps, 'env' | 'temporal'>,
  start: { type: string; workflowId: string; project: string; kind: string; args: Args },
) {
  return deps.temporal.workflow.start(start.type, {
    taskQueue: deps.env.taskQueue,
    workflowId: start.workflowId,
    args: start.args,
    typedSearchAttributes: [
      { key: PROJECT_ATTR, value: start.project },
      { key: KIND_ATTR, value: start.kind },
    ],
  });
}

const RESOURCES = {
  job: { table: 'jobs', workflowType: 'runJob', workflowId: workflowIds.job },
  notebook: { table: 'notebooks', workflowType: 'notebookSession', workflowId: workflowIds.notebook },
} as const;

/** What each resource's workflow takes. */
interface Inputs {
  job: RunJobInput;
  notebook: NotebookSessionInput;
}

type ResourceKind = keyof typeof RESOURCES;

/**
 * Records a job or notebook (`record` inserts its row, given its workflow id) and starts the
 * workflow that runs it. When the workflow cannot be started, the row is deleted, so nothing is
 * left `running`, and an unreachable Temporal answers 503 `unavailable`.
 */
export async function startWorkflowResource<K extends ResourceKind>(
  deps: WorkflowDeps,
  resource: { kind: K; id: string; project: Project; input: Inputs[K] },
  record: (workflowId: string) => Promise<void>,
): Promise<void> {
  const { kind, id, project } = resource;
  const { table, workflowType, workflowId } = RESOURCES[kind];
  const wid = workflowId(project.name, id);
  await record(wid);
  try {
    await startProjectWorkflow(deps, {
      type: workflowType,
      workflowId: wid,
      project: project.name,
      kind,
      args: [resource.input],
    });
  } catch (err) {
    // Nothing started, so nothing is recorded: no row is left `running`.
    await deps.db.query(`DELETE FROM ${table} WHERE id = $1`, [id]);
    throw isTemporalUnreachable(err) ? workflowNotStarted(`the ${kind}`, err, 'Nothing was started.') : err;
  }
}

/** Cancels the workflow that runs a job or notebook; one that has already gone is no error. */
export async function cancelWorkflow(temporal: Client, workflowId: string): Promise<void> {
  try {
    await temporal.workflow.getHandle(workflowId).cancel();
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  }
}
