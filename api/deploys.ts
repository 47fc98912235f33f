import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { Pool } from 'pg';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { uploadArchivePath, uploadCodeDir, uploadDir } from '../core/release-code.js';
import { ConflictError, RoroError, ValidationError } from '../core/errors.js';
import { extractArchive } from '../core/archive/index.js';
import { validateRoroYml, type Issue, type RoroYml } from '../core/roro-yml.js';
import { quotaExceeded } from '../core/quotas.js';
import { projectQuotas } from './quotas.js';
import { resolveRuntime } from '../core/runtimes.js';
import { localHostCapacity, resolveSize } from '../core/sizes.js';
import { workflowIds } from '../temporal/ids.js';
import type { Project } from './projects.js';
import { isTemporalUnreachable, workflowNotStarted } from './workflow-start.js';
import { markDeployFailed } from '../domain/deploy-outcome.js';
import { receiveUploadFile } from './upload-file.js';
import { startProjectWorkflow, type WorkflowDeps } from './workflow-resources.js';

const MAX_UPLOAD_BYTES = 200 * 1024 * 1024;
type DeployKind = 'deploy' | 'rollback' | 'start' | 'stop' | 'restart';

const newDeployId = () => `d${Date.now().toString(36)}${crypto.randomBytes(3).toString('hex')}`;

/** Deploy archives above MAX_UPLOAD_BYTES are refused; data belongs on a volume. */
function tooLarge(): RoroError {
  return new RoroError(`The upload is larger than ${MAX_UPLOAD_BYTES / 1024 / 1024} MiB.`, {
    status: 413,
    code: 'too_large',
    hint: 'Leave data files out with .roroignore and copy them to a volume with `roro cp`.',
  });
}

/** Checks what can be checked before any work starts: roro.yml, runtime and sizes. */
function checkConfig(text: string, project: string): RoroYml {
  const { config, issues } = validateRoroYml(text, { project });
  const extra: Issue[] = [];
  if (config) {
    if (config.project !== project) {
      extra.push({
        path: 'project',
        message: `roro.yml names project ${config.project}, but this deploy is for ${project}`,
        line: 1,
        column: 1,
        hint: `Set project: ${project} in roro.yml, or deploy to ${config.project}.`,
      });
    }
    for (const check of [
      () => resolveRuntime(config.runtime),
      ...[...config.services, ...config.tasks].map((s) => () => resolveSize(s.size, localHostCapacity())),
    ]) {
      try {
        check();
      } catch (err) {
        extra.push({
          path: '',
          message: (err as Error).message,
          line: 1,
          column: 1,
          hint: (err as RoroError).hint ?? '',
        });
      }
    }
  }
  const all = [...issues, ...extra];
  if (all.length) {
    throw new ValidationError(`roro.yml has ${all.length} problem${all.length === 1 ? '' : 's'}.`, {
      code: 'invalid_roro_yml',
      details: all,
      hint: 'Fix the problems listed and deploy again.',
    });
  }
  return config!;
}

/** A release may not ask for more services or instances than the project's quotas allow. */
async function checkServiceQuotas(db: Pool, project: Project, config: RoroYml): Promise<void> {
  const quotas = await projectQuotas(db, project.id);
  if (config.services.length > quotas.services)
    throw quotaExceeded('services', quotas.services, config.services.length, project.name);
  const replicas = config.services.reduce((sum, s) => sum + s.replicas, 0);
  if (replicas > quotas.replicas) throw quotaExceeded('replicas', quotas.replicas, replicas, project.name);
}

/** Starts deploy:<project>; a second one while the first runs is refused with the running deploy's id. */
async function startDeployWorkflow(deps: WorkflowDeps, project: Project, deployId: string, kind: DeployKind) {
  let handle;
  try {
    handle = await startProjectWorkflow(deps, {
      type: 'deployProject',
      workflowId: workflowIds.deploy(project.name),
      project: project.name,
      kind,
      args: [{ deployId }],
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) {
      // No workflow will ever end this deploy: it ends here, with its reason.
      const closed = 'Nothing changed; what served before still serves.';
      await markDeployFailed(deps.db, deployId, `The deploy's workflow could not be started. ${closed}`);
      throw isTemporalUnreachable(err) ? workflowNotStarted(`the ${kind}`, err, closed) : err;
    }
    const running = await deps.db.query<{ id: string }>(
      `SELECT id FROM deploys WHERE project_id = $1 AND status = 'running' AND id <> $2 ORDER BY created_at DESC LIMIT 1`,
      [project.id, deployId],
    );
    await deps.db.query('DELETE FROM deploys WHERE id = $1', [deployId]);
    const other = running.rows[0]?.id ?? 'unknown';
    throw Object.assign(
      new ConflictError(
        `A deploy of ${project.name} is already running (${other}).`,
        `Wait for it with \`roro ps\`, then try again.`,
        { deployId: other },
      ),
      { code: 'deploy_running' },
    );
  }
  // The run, so the sweep of operations whose workflow is gone asks about this deploy's own run.
  await deps.db.query('UPDATE deploys SET run_id = $2 WHERE id = $1', [deployId, handle.firstExecutionRunId]);
  return { id: deployId, workflowId: workflowIds.deploy(project.name), status: 'running', kind };
}

/** Receives an uploaded project archive, checks it, and starts the deploy workflow. */
export async function createDeploy(
  deps: WorkflowDeps,
  project: Project,
  userId: string,
  body: Readable,
  sha: string | undefined,
) {
  if (!sha || !/^[0-9a-f]{64}$/.test(sha)) {
    throw new ValidationError("The upload needs an x-roro-sha256 header with the archive's SHA-256.", {
      hint: 'Use `roro deploy`.',
    });
  }
  const deployId = newDeployId();
  const dir = uploadDir(deps.env.home, deployId);
  await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
  const archive = uploadArchivePath(deps.env.home, deployId);
  const codeDir = uploadCodeDir(deps.env.home, deployId);
  try {
    await receiveUploadFile(body, archive, {
      maxBytes: MAX_UPLOAD_BYTES,
      tooLarge,
      sha256: sha,
      again: 'Run `roro deploy` again.',
    });
    await extractArchive(archive, codeDir).catch((err: unknown) => {
      throw err instanceof RoroError
        ? err
        : new ValidationError(`The upload is not a valid project archive: ${(err as Error).message}`, {
            code: 'invalid_archive',
          });
    });
    // The archive stays: the release keeps it, so its image can be rebuilt (core/release-code.ts).
    const ymlPath = path.join(codeDir, 'roro.yml');
    if (!fs.statSync(ymlPath, { throwIfNoEntry: false })?.isFile()) {
      throw new ValidationError('The project has no roro.yml file at its root.', {
        code: 'invalid_roro_yml',
        hint: 'Add roro.yml (see `roro deploy --help`).',
      });
    }
    const yml = await fsp.readFile(ymlPath, 'utf8');
    await checkServiceQuotas(deps.db, project, checkConfig(yml, project.name));
    // Files in the image are owned by the runtime user; the build context is read by the API's user.
    await deps.db.query(
      `INSERT INTO deploys (id, project_id, kind, user_id, workflow_id, code_sha256, code_dir, roro_yml)
       VALUES ($1, $2, 'deploy', $3, $4, $5, $6, $7)`,
      [deployId, project.id, userId, workflowIds.deploy(project.name), sha, codeDir, yml],
    );
    return await startDeployWorkflow(deps, project, deployId, 'deploy');
  } catch (err) {
    await fsp.rm(dir, { recursive: true, force: true });
    throw err;
  }
}

/** Rollback, start, stop, restart: the same workflow, with an existing image. */
export async function createOperation(
  deps: WorkflowDeps,
  project: Project,
  /** Null when the platform itself asks (the healer rolling out a service whose containers are gone). */
  userId: string | null,
  kind: Exclude<DeployKind, 'deploy'>,
  opts: { version?: number; service?: string },
) {
  const deployId = newDeployId();
  await deps.db.query(
    `INSERT INTO deploys (id, project_id, kind, user_id, workflow_id, source_version, service)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [
      deployId,
      project.id,
      kind,
      userId,
      workflowIds.deploy(project.name),
      opts.version ?? null,
      opts.service ?? null,
    ],
  );
  return startDeployWorkflow(deps, project, deployId, kind);
}

/**
 * Rolls every running service onto new containers (after a config change), as one `restart`
 * operation without a service; null when the project has no running service.
 */
export async function restartRunningServices(deps: WorkflowDeps, project: Project, userId: string) {
  const running = await deps.db.query(
    `SELECT 1 FROM services WHERE project_id = $1 AND desired = 'running' LIMIT 1`,
    [project.id],
  );
  if (!running.rowCount) return null;
  return createOperation(deps, project, userId, 'restart', {});
}
