import { Context } from '@temporalio/activity';
import type { ActivityDeps } from './deps.js';
import {
  syncProjectSchedules,
  type SyncSchedulesInput,
  type SyncSchedulesResult,
} from '../domain/schedules.js';

export function createScheduleActivities(deps: ActivityDeps) {
  return {
    /** The deploy's "Updating scheduled jobs" phase: the project's schedules now match its roro.yml tasks. */
    async syncSchedules(input: SyncSchedulesInput): Promise<SyncSchedulesResult> {
      return syncProjectSchedules(Context.current().client, deps, input);
    },
  };
}
