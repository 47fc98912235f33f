import type { ContainerState } from './driver.js';
import { fixedNanos } from './logs.js';

/** The part of a Swarm task the driver reads. */
export interface SwarmTask {
  ID: string;
  ServiceID?: string;
  NodeID?: string;
  Slot?: number;
  CreatedAt?: string;
  UpdatedAt?: string;
  DesiredState?: string;
  Status?: {
    Timestamp?: string;
    State?: string;
    Message?: string;
    Err?: string;
    ContainerStatus?: { ContainerID?: string; PID?: number; ExitCode?: number };
  };
}

/** Tasks Swarm is still bringing up: scheduled, pulling, starting. */
const COMING = new Set([
  'new',
  'allocated',
  'pending',
  'assigned',
  'accepted',
  'preparing',
  'ready',
  'starting',
]);
/** Tasks that ended without their process ever running. */
const NEVER_RAN = new Set(['rejected', 'orphaned', 'remove']);

/** The newest task of a service: the one its state is read from. */
export function newestTask(tasks: SwarmTask[]): SwarmTask | undefined {
  // Fractions of a second come with as many digits as they need: compare them padded to nine.
  const at = (t: SwarmTask) => fixedNanos(t.CreatedAt ?? '');
  return [...tasks].sort((a, b) => at(b).localeCompare(at(a)))[0];
}

/** True once the task's process ran (it runs, or ran and ended with an exit code). */
export function taskRan(task: SwarmTask): boolean {
  const state = task.Status?.State ?? '';
  if (state === 'running') return true;
  return (
    (state === 'complete' || state === 'failed' || state === 'shutdown') &&
    Boolean(task.Status?.ContainerStatus?.ContainerID)
  );
}

/** True when the task ended without its process ever running, with Swarm's reason. */
export function taskRefused(task: SwarmTask): string | undefined {
  const state = task.Status?.State ?? '';
  if (NEVER_RAN.has(state) || (state === 'failed' && !task.Status?.ContainerStatus?.ContainerID))
    return task.Status?.Err || task.Status?.Message || state;
  return undefined;
}

/**
 * A service's state in the terms of one container: its newest task's. A service whose process
 * crashed and that Swarm starts again (older tasks failed, the newest coming up) is `restarting`.
 */
export function serviceState(
  newest: SwarmTask | undefined,
  restarts: number,
  replicas: number,
): ContainerState {
  const state = newest?.Status?.State ?? '';
  if (state === 'running') return 'running';
  if (!newest) return replicas > 0 ? 'created' : 'exited';
  if (COMING.has(state)) return restarts > 0 ? 'restarting' : 'created';
  if (NEVER_RAN.has(state)) return 'dead';
  return 'exited';
}

/** The exit code of an ended task: the process's, or 0 for a task that completed. */
export function taskExitCode(task: SwarmTask | undefined): number | undefined {
  const state = task?.Status?.State ?? '';
  if (!task || state === 'running' || COMING.has(state)) return undefined;
  const code = task.Status?.ContainerStatus?.ExitCode;
  if (code !== undefined) return code;
  return state === 'complete' ? 0 : undefined;
}
