import {
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  patched,
  proxyActivities,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { PlatformActivities } from '../activities/index.js';
import type { DeployPlan } from '../activities/deploys.js';
import type { Instance } from '../activities/services.js';
import { upstreamOf } from '../core/upstream.js';
import { activityFailure } from './failure.js';
import { QUICK_HEARTBEAT_TIMEOUT } from './container-activities.js';

export interface DeployInput {
  deployId: string;
}

const quick = proxyActivities<PlatformActivities>({
  startToCloseTimeout: '30 seconds',
  heartbeatTimeout: QUICK_HEARTBEAT_TIMEOUT,
  retry: { initialInterval: '1 second', maximumInterval: '20 seconds', maximumAttempts: 20 },
});
const build = proxyActivities<PlatformActivities>({
  startToCloseTimeout: '35 minutes',
  heartbeatTimeout: '20 seconds',
  retry: { initialInterval: '2 seconds', maximumAttempts: 5 },
});
const rollout = proxyActivities<PlatformActivities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '15 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '10 seconds', maximumAttempts: 10 },
});

/** Start new instances of every service and wait until all are ready; nothing is switched yet. */
async function startAll(plan: DeployPlan, image: string): Promise<Map<string, Instance[]>> {
  const started = new Map<string, Instance[]>();
  for (const svc of plan.services) {
    started.set(
      svc.name,
      await rollout.startInstances({ deployId: plan.deployId, project: plan.project, image, service: svc }),
    );
  }
  for (const svc of plan.services) {
    await rollout.waitReady({ deployId: plan.deployId, service: svc, instances: started.get(svc.name)! });
  }
  return started;
}

async function stopService(plan: DeployPlan): Promise<void> {
  for (const svc of plan.services) {
    await quick.switchRoute({
      projectId: plan.projectId,
      service: svc.name,
      upstreams: [],
      deployId: plan.deployId,
    });
    await rollout.retireInstances({ project: plan.project, service: svc.name });
    await quick.markServiceStopped({ projectId: plan.projectId, service: svc.name });
  }
}

/**
 * deploy:<project> — build (when code was uploaded), start new instances, wait until ready, switch
 * routes, retire old instances, record the release. Until routes switch, the previous release
 * serves every request; a failure before that removes the new instances and changes nothing else.
 * A failure anywhere (planning included, and after the switch) ends the deploy `failed`, with a
 * message that says what serves the project now.
 */
export async function deployProject(
  input: DeployInput,
): Promise<{ version: number; urls: Record<string, string> }> {
  // Before this patch a failure in planning or after the route switch left the deploy `running`.
  const endsAnywhere = patched('deploy-ends-failed-anywhere');
  let plan: DeployPlan;
  try {
    plan = await quick.prepareDeploy(input.deployId);
  } catch (err) {
    if (!endsAnywhere) throw err;
    return await failNamingState(input.deployId, err);
  }
  upsertSearchAttributes({ RoroProject: [plan.project], RoroKind: [plan.kind] });
  let started: Map<string, Instance[]>;
  let image = plan.image ?? '';
  try {
    if (plan.kind === 'stop') {
      await stopService(plan);
      const outcome = { version: plan.release, urls: {}, restarted: 0 };
      await quick.recordStop(plan);
      await quick.finishDeploy(plan.deployId, outcome);
      return outcome;
    }
    if (plan.build) {
      await quick.emit(plan.deployId, 'phase', 'Building docker image');
      image = await build.buildImage(plan);
      await quick.emit(plan.deployId, 'phase_done', 'Building docker image');
    }
    await quick.emit(
      plan.deployId,
      'phase',
      `Starting ${plan.services.length === 1 ? 'one service' : `${plan.services.length} services`}`,
    );
    started = await startAll(plan, image);
    await quick.emit(
      plan.deployId,
      'phase_done',
      `Starting ${plan.services.length === 1 ? 'one service' : `${plan.services.length} services`}`,
    );
  } catch (err) {
    const { message, logs } = activityFailure(err);
    // Before this patch the message assumed the previous release kept serving; now it says what does.
    const namesWhatServes = patched('deploy-failure-names-what-serves');
    let serving = 'The previous release keeps serving.';
    await CancellationScope.nonCancellable(async () => {
      const removed = await quick.removeDeployInstances(plan.deployId);
      if (namesWhatServes) {
        serving = await quick.describeServing({
          projectId: plan.projectId,
          project: plan.project,
          deployId: plan.deployId,
        });
      }
      const undone = removed
        ? namesWhatServes
          ? ` Removed ${removed} new container(s). ${serving}`
          : ` Removed ${removed} new container(s); the previous release keeps serving.`
        : ` ${serving}`;
      await quick.failDeploy(plan.deployId, message + undone, logs);
    });
    if (isCancellation(err)) throw err;
    throw ApplicationFailure.nonRetryable(`${message} ${serving}`, 'deploy_failed');
  }
  if (!endsAnywhere) return await switchAndRecord(plan, started, image);
  try {
    return await switchAndRecord(plan, started, image);
  } catch (err) {
    return await failNamingState(plan.deployId, err, { release: plan.release });
  }
}

/** Fails the deploy wherever it stopped, saying what serves now; the workflow fails with the same words. */
async function failNamingState(
  deployId: string,
  err: unknown,
  switched?: { release: number },
): Promise<never> {
  const cancelled = isCancellation(err);
  const { message, logs } = cancelled
    ? { message: 'The deploy was cancelled.', logs: [] }
    : activityFailure(err);
  const serving = await CancellationScope.nonCancellable(() =>
    quick.failDeployNamingState({ deployId, message, logs, ...(switched ? { switched } : {}) }),
  );
  if (cancelled) throw err;
  throw ApplicationFailure.nonRetryable(`${message} ${serving}`, 'deploy_failed');
}

/**
 * Routes go to the new instances, the old ones retire, the release is recorded and the schedules
 * follow it. A failure here leaves the new release serving some or all services: the caller says which.
 */
async function switchAndRecord(
  plan: DeployPlan,
  started: Map<string, Instance[]>,
  image: string,
): Promise<{ version: number; urls: Record<string, string> }> {
  for (const svc of plan.services) {
    const upstreams = started.get(svc.name)!.map(upstreamOf);
    await quick.switchRoute({
      projectId: plan.projectId,
      service: svc.name,
      upstreams,
      deployId: plan.deployId,
    });
  }
  for (const svc of plan.services) {
    await rollout.retireInstances({ project: plan.project, service: svc.name, keepDeployId: plan.deployId });
  }
  for (const name of plan.removedServices)
    await rollout.retireInstances({ project: plan.project, service: name });
  await quick.removeRoutes({ projectId: plan.projectId, services: plan.removedServices });
  const release = await quick.recordRelease(plan, image);
  if (plan.kind === 'deploy' || plan.kind === 'rollback') {
    // Scheduled runs use the latest release's image, so schedules follow the release just recorded.
    await quick.emit(plan.deployId, 'phase', 'Updating scheduled jobs');
    await quick.syncSchedules({ projectId: plan.projectId, project: plan.project, tasks: plan.tasks });
    await quick.emit(plan.deployId, 'phase_done', 'Updating scheduled jobs');
  }
  const outcome = {
    ...release,
    restarted: plan.services.length,
    ...(plan.rollbackOf ? { rollbackOf: plan.rollbackOf } : {}),
  };
  await quick.finishDeploy(plan.deployId, outcome);
  return release;
}
