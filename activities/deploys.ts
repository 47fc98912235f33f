import { withTransaction } from '../db/transaction.js';
import { latestRelease, noReleaseYet, setReleaseImage } from '../db/releases.js';
import { projectVolumeMounts } from '../domain/project-volumes.js';
import { ApplicationFailure, log } from '@temporalio/activity';
import type { ActivityDeps } from './deps.js';
import { parseRoroYml, type RoroYml, type TaskSpec } from '../core/roro-yml.js';
import { resolveRuntime } from '../core/runtimes.js';
import { localHostCapacity } from '../core/sizes.js';
import { RoroError } from '../core/errors.js';
import { planServices, type ServicePlan } from './plan.js';
import { serviceUrls } from '../core/service-urls.js';
import { emitEvent } from './events.js';
import { markDeployFailed, markDeploySucceeded } from '../domain/deploy-outcome.js';
import { rebuildIfMissing, type ReleaseSource } from './release-image.js';
import { keepReleaseCode, removeUpload } from '../core/release-code.js';

export interface DeployRow {
  id: string;
  project_id: string;
  project: string;
  kind: 'deploy' | 'rollback' | 'start' | 'stop' | 'restart';
  user_id: string | null;
  code_sha256: string | null;
  code_dir: string | null;
  roro_yml: string | null;
  source_version: number | null;
  service: string | null;
  image: string | null;
  version: number | null;
}

export interface DeployPlan {
  deployId: string;
  project: string;
  projectId: string;
  kind: DeployRow['kind'];
  /** Set when an image must be built: from uploaded code, or again from a release's kept code. */
  build?: {
    runtime: string;
    codeDir: string;
    /** The image tag; a rebuild reuses the release's own (default: the deploy id). */
    buildId?: string;
    /** A rebuild of this release's lost image: the release then records the image built. */
    rebuildOf?: number;
  };
  /** Set when an existing image is rolled out (rollback, start, restart). */
  image?: string;
  release: number;
  newRelease: boolean;
  /** For a rollback, the release whose image it rolls out again. */
  rollbackOf?: number;
  services: ServicePlan[];
  /** Periodic tasks of the release, synchronised with Temporal Schedules after a deploy or rollback. */
  tasks: TaskSpec[];
  /** Services of earlier releases that the new roro.yml no longer has. */
  removedServices: string[];
}

/** Turns a thrown user error into a failure Temporal will not retry. */
export function userFailure(err: unknown): never {
  if (err instanceof RoroError && err.status < 500) {
    throw ApplicationFailure.nonRetryable(err.message + (err.hint ? ` ${err.hint}` : ''), err.code);
  }
  throw err;
}

export async function loadDeploy(deps: ActivityDeps, deployId: string): Promise<DeployRow> {
  const res = await deps.db.query<DeployRow>(
    `SELECT d.*, p.name AS project FROM deploys d JOIN projects p ON p.id = d.project_id WHERE d.id = $1`,
    [deployId],
  );
  const row = res.rows[0];
  if (!row) throw ApplicationFailure.nonRetryable(`deploy ${deployId} does not exist`, 'not_found');
  return row;
}

/** Which image and roro.yml this operation rolls out, and what the containers look like. */
async function sourceOf(
  deps: ActivityDeps,
  d: DeployRow,
): Promise<{ yml: string; image?: ReleaseSource; release: number; newRelease: boolean }> {
  const current = await latestRelease(deps.db, d.project_id);
  const next = (current?.version ?? 0) + 1;
  if (d.kind === 'deploy') return { yml: d.roro_yml!, release: next, newRelease: true };
  if (d.kind === 'rollback') {
    const res = await deps.db.query<{ image: string; roro_yml: string; code_sha256: string | null }>(
      'SELECT image, roro_yml, code_sha256 FROM releases WHERE project_id = $1 AND version = $2',
      [d.project_id, d.source_version],
    );
    const src = res.rows[0];
    if (!src)
      throw ApplicationFailure.nonRetryable(`Release ${d.source_version} does not exist.`, 'not_found');
    const image = { image: src.image, release: d.source_version!, codeSha256: src.code_sha256 };
    return { yml: src.roro_yml, image, release: next, newRelease: true };
  }
  if (!current) return userFailure(noReleaseYet());
  const image = { image: current.image, release: current.version, codeSha256: current.code_sha256 };
  return { yml: current.roro_yml, image, release: current.version, newRelease: false };
}

export function createDeployActivities(deps: ActivityDeps) {
  return {
    async prepareDeploy(deployId: string): Promise<DeployPlan> {
      const d = await loadDeploy(deps, deployId);
      try {
        const src = await sourceOf(deps, d);
        const config: RoroYml = parseRoroYml(src.yml, { project: d.project });
        const runtime = resolveRuntime(config.runtime).runtime.name;
        const only = d.kind === 'deploy' || d.kind === 'rollback' ? undefined : (d.service ?? undefined);
        if (only && !config.services.some((s) => s.name === only)) {
          throw new RoroError(`Service ${only} is not in the current release.`, {
            status: 404,
            code: 'not_found',
            hint: 'Run `roro ps` to list services.',
          });
        }
        const planned = planServices({
          project: d.project,
          release: src.release,
          deployId,
          config,
          volumes: await projectVolumeMounts(deps.db, deps.env.home, String(d.project_id)),
          env: {},
          host: localHostCapacity(),
          only,
        });
        const existing = await deps.db.query<{ name: string; desired: string }>(
          'SELECT name, desired FROM services WHERE project_id = $1',
          [d.project_id],
        );
        // `restart` without a service (a config change) rolls only the services running now.
        const allRunning = d.kind === 'restart' && !only;
        const running = new Set(existing.rows.filter((r) => r.desired === 'running').map((r) => r.name));
        const services = allRunning ? planned.filter((s) => running.has(s.name)) : planned;
        const keep = new Set(config.services.map((s) => s.name));
        // A stop needs no image; every other operation on a release whose image is gone rebuilds it.
        const rebuild =
          src.image && d.kind !== 'stop' ? await rebuildIfMissing(deps, d, src.image, runtime) : undefined;
        return {
          deployId,
          project: d.project,
          projectId: String(d.project_id),
          kind: d.kind,
          ...(rebuild
            ? { build: rebuild }
            : src.image
              ? { image: src.image.image }
              : { build: { runtime, codeDir: d.code_dir! } }),
          release: src.release,
          newRelease: src.newRelease,
          ...(d.kind === 'rollback' && d.source_version ? { rollbackOf: d.source_version } : {}),
          services,
          tasks: config.tasks,
          removedServices:
            only || allRunning ? [] : existing.rows.map((r) => r.name).filter((n) => !keep.has(n)),
        };
      } catch (err) {
        return userFailure(err);
      }
    },

    async emit(
      deployId: string,
      kind: 'phase' | 'phase_done' | 'info' | 'warn',
      message: string,
    ): Promise<void> {
      await emitEvent(deps.db, deployId, kind, message);
    },

    /** Idempotent: a retried call after a crash finds the release it already wrote. */
    async recordRelease(
      plan: DeployPlan,
      image: string,
    ): Promise<{ version: number; urls: Record<string, string> }> {
      const d = await loadDeploy(deps, plan.deployId);
      if (plan.newRelease && d.kind === 'deploy' && d.code_sha256) {
        await keepReleaseCode(deps.env.home, plan.projectId, plan.deployId, d.code_sha256);
      }
      await withTransaction(deps.db, async (client) => {
        if (plan.build?.rebuildOf !== undefined)
          await setReleaseImage(client, { projectId: plan.projectId, version: plan.build.rebuildOf, image });
        if (plan.newRelease) {
          await client.query(
            `INSERT INTO releases (project_id, version, deploy_id, kind, image, code_sha256, roro_yml, rollback_of, created_by)
             SELECT $1, $2, $3, $4, $5,
                    COALESCE($6, (SELECT code_sha256 FROM releases WHERE project_id = $1 AND version = $8)),
                    COALESCE($7, (SELECT roro_yml FROM releases WHERE project_id = $1 AND version = $8)), $8, $9
             ON CONFLICT (deploy_id) DO NOTHING`,
            [
              plan.projectId,
              plan.release,
              plan.deployId,
              d.kind,
              image,
              d.code_sha256,
              d.roro_yml,
              d.source_version,
              d.user_id,
            ],
          );
        }
        for (const svc of plan.services) {
          await client.query(
            // New instances start with a clean record: restarts count the current rollout's exits.
            `INSERT INTO services (project_id, name, release_version, desired, status, deploy_id, instances, ready, observed_at, updated_at)
             VALUES ($1, $2, $3, 'running', 'running', $4, $5, $5, now(), now())
             ON CONFLICT (project_id, name) DO UPDATE SET release_version = $3, desired = 'running', status = 'running',
               deploy_id = $4, instances = $5, ready = $5, observed_at = now(), restarts = 0, last_exit = NULL,
               last_exit_at = NULL, updated_at = now()`,
            [plan.projectId, svc.name, plan.release, plan.deployId, svc.replicas],
          );
        }
        if (plan.removedServices.length) {
          await client.query('DELETE FROM services WHERE project_id = $1 AND name = ANY($2)', [
            plan.projectId,
            plan.removedServices,
          ]);
        }
        await client.query(`UPDATE deploys SET version = $2, image = $3 WHERE id = $1`, [
          plan.deployId,
          plan.release,
          image,
        ]);
      });
      const urls: Record<string, string> = {};
      for (const svc of plan.services) {
        urls[svc.name] = serviceUrls(
          deps.env.gatewayUrl,
          deps.env.domain,
          deps.env.ports.gatewayHttps,
          plan.project,
          svc.name,
        ).url;
      }
      await removeUpload(deps.env.home, plan.deployId);
      log.info('release recorded', { project: plan.project, version: plan.release, deployId: plan.deployId });
      return { version: plan.release, urls };
    },

    async recordStop(plan: DeployPlan): Promise<void> {
      await deps.db.query(`UPDATE deploys SET version = $2 WHERE id = $1`, [plan.deployId, plan.release]);
    },

    async finishDeploy(
      deployId: string,
      outcome: { version: number; urls: Record<string, string>; restarted: number; rollbackOf?: number },
    ): Promise<void> {
      await markDeploySucceeded(deps.db, deployId, outcome);
    },

    async failDeploy(deployId: string, message: string, logs: string[] = []): Promise<void> {
      await withTransaction(deps.db, (client) => markDeployFailed(client, deployId, message, logs));
      log.warn('deploy failed', { deployId, reason: message });
      await removeUpload(deps.env.home, deployId);
    },
  };
}
