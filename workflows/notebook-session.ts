import {
  ActivityCancellationType,
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  patched,
  proxyActivities,
} from '@temporalio/workflow';
import type { PlatformActivities } from '../activities/index.js';
import type { NotebookExit } from '../activities/notebooks.js';
import { QUICK, REBUILD, following } from './container-activities.js';
import { upstreamOf } from '../core/upstream.js';
import { activityFailure } from './failure.js';

/** What starts a session; never the token, which only the starting activity and the database see. */
export interface NotebookSessionInput {
  projectId: string;
  project: string;
  notebookId: string;
}

export interface NotebookOutcome {
  notebookId: string;
  status: 'stopped' | 'finished' | 'failed';
  error?: string;
}

const quick = proxyActivities<PlatformActivities>(QUICK);
const build = proxyActivities<PlatformActivities>(REBUILD);
const starting = proxyActivities<PlatformActivities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '20 seconds',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: { initialInterval: '1 second', maximumInterval: '10 seconds', maximumAttempts: 5 },
});
// Cancellation (`roro stop`) reaches the follower on a heartbeat, which the SDK sends at most every
// 80% of the timeout, hence a short one.
const follow = proxyActivities<PlatformActivities>(following('365 days', '5 seconds'));

/** Why a session whose container ended by itself is over. */
export function exitVerdict(r: NotebookExit): Omit<NotebookOutcome, 'notebookId'> {
  const tail = r.logs.length ? ` Last lines:\n${r.logs.join('\n')}` : '';
  if (r.gone)
    return { status: 'failed', error: 'The notebook container disappeared (was it removed outside roro?).' };
  if (r.oomKilled)
    return {
      status: 'failed',
      error: `Jupyter used more memory than its size allows and was killed; choose a larger size with -s.${tail}`,
    };
  if (r.exitCode === 0) return { status: 'finished', error: 'Jupyter exited (shut down from its UI?).' };
  return { status: 'failed', error: `Jupyter exited with code ${r.exitCode}.${tail}` };
}

/**
 * notebook:<project>:<id> — start Jupyter from the project's last release, wait until it answers,
 * route `/<project>--nb-<id>/` to it, and keep the session until its container exits or the
 * workflow is cancelled (`roro stop`); either way the route and the container go, the files on
 * /volumes/notebooks stay.
 */
export async function notebookSession(input: NotebookSessionInput): Promise<NotebookOutcome> {
  const ref = { notebookId: input.notebookId, project: input.project, projectId: input.projectId };
  const service = `nb-${input.notebookId}`;
  const cleanup = () =>
    CancellationScope.nonCancellable(async () => {
      await quick.removeRoutes({ projectId: input.projectId, services: [service] });
      await quick.stopNotebookContainer(ref);
    });
  let exit: NotebookExit;
  try {
    // Added after histories without it were recorded: patched() keeps their replay unchanged.
    if (patched('rebuild-missing-image')) {
      await build.ensureReleaseImage({
        projectId: input.projectId,
        project: input.project,
        workId: `notebook-${input.notebookId}`,
      });
    }
    const published = await quick.startNotebookContainer(ref);
    await starting.waitNotebookReady({ ...ref, ...published });
    await quick.switchRoute({
      projectId: input.projectId,
      service,
      upstreams: [upstreamOf(published)],
      deployId: `notebook-${input.notebookId}`,
    });
    await quick.markNotebook({ notebookId: input.notebookId, status: 'running' });
    exit = await follow.waitNotebook(ref);
  } catch (err) {
    const cancelled = isCancellation(err);
    const error = cancelled ? undefined : activityFailure(err).message;
    await cleanup();
    await CancellationScope.nonCancellable(() =>
      quick.markNotebook({ notebookId: input.notebookId, status: cancelled ? 'stopped' : 'failed', error }),
    );
    if (cancelled) throw err;
    throw ApplicationFailure.create({
      message: `Notebook ${input.notebookId} could not start: ${error}`,
      type: 'notebook_failed',
    });
  }
  const outcome = exitVerdict(exit);
  await cleanup();
  await quick.markNotebook({ notebookId: input.notebookId, ...outcome });
  return { notebookId: input.notebookId, ...outcome };
}
