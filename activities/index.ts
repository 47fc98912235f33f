import os from 'node:os';
import { platformDriver } from '../containers/engine-driver.js';
import type { ActivityDeps } from './deps.js';
import { createDeployActivities } from './deploys.js';
import { createDeployEndActivities } from './deploy-end.js';
import { createServiceActivities } from './services.js';
import { createRouteActivities } from './routes.js';
import { createBuildActivities } from './build.js';
import { createJobActivities } from './jobs.js';
import { createScheduleActivities } from './schedules.js';
import { createNotebookActivities } from './notebooks.js';
import { heartbeating } from './heartbeat.js';

export type { ActivityDeps } from './deps.js';

/**
 * Builds every activity from injected clients, so tests can pass their own. Each heartbeats every
 * second while it runs (activities/heartbeat.ts), so a dead worker is noticed within a profile's
 * heartbeat timeout.
 */
export function createActivities(deps: ActivityDeps) {
  const driver = deps.driver ?? platformDriver(deps.docker, deps.env);
  return heartbeating({
    async ping(nonce: string): Promise<string> {
      await deps.db.query('SELECT 1');
      return `pong:${nonce}:${os.hostname()}`;
    },
    ...createDeployActivities(deps),
    ...createDeployEndActivities({ ...deps, driver }),
    ...createBuildActivities(deps),
    ...createServiceActivities({ ...deps, driver }),
    ...createRouteActivities(deps),
    ...createJobActivities({ ...deps, driver }),
    ...createScheduleActivities(deps),
    ...createNotebookActivities({ ...deps, driver }),
  });
}

export type PlatformActivities = ReturnType<typeof createActivities>;
