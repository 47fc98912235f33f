import { proxyActivities } from '@temporalio/workflow';
import type { PlatformActivities } from '../activities/index.js';
import { QUICK_HEARTBEAT_TIMEOUT } from './container-activities.js';

const act = proxyActivities<PlatformActivities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: QUICK_HEARTBEAT_TIMEOUT,
  retry: { initialInterval: '2 seconds', maximumAttempts: 20 },
});

/** remove:<project>:<id> — after a project's rows are deleted, nothing it ran may keep running or routing. */
export async function removeProject(input: {
  project: string;
  projectId?: string;
}): Promise<{ containers: number }> {
  await act.syncGateway();
  if (input.projectId)
    await act.syncSchedules({ projectId: input.projectId, project: input.project, tasks: [] });
  const containers = await act.removeProjectResources(input.project);
  return { containers };
}
