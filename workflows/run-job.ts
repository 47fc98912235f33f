import {
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  patched,
  proxyActivities,
  workflowInfo,
} from '@temporalio/workflow';
import type { PlatformActivities } from '../activities/index.js';
import type { JobRef, WaitResult } from '../activities/jobs.js';
import { workflowIds } from '../temporal/ids.js';
import { QUICK, REBUILD, following } from './container-activities.js';
import { activityFailure } from './failure.js';
import type { RunJobInput } from './run-job-input.js';

export type { RunJobInput } from './run-job-input.js';

export interface JobOutcome {
  jobId: string;
  status: 'success' | 'failed' | 'cancelled';
  exitCode?: number;
  error?: string;
}

const quick = proxyActivities<PlatformActivities>(QUICK);
const build = proxyActivities<PlatformActivities>(REBUILD);
const follow = proxyActivities<PlatformActivities>(following('8 days', '10 seconds'));

/** FNV-1a, 32 bits: deterministic in the workflow sandbox, unlike node:crypto. */
function fnv(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** `task:<p>:<task>-2026-01-01T10:00:00Z` → `t` + fire time (base 36 seconds) + 4 chars of the task's hash. */
export function scheduledJobId(workflowId: string, project: string, task: string | undefined): string {
  const prefix = `${workflowIds.task(project, task ?? '')}-`;
  const fired = workflowId.startsWith(prefix) ? Date.parse(workflowId.slice(prefix.length)) : NaN;
  const tag = fnv(`${project}:${task ?? ''}`)
    .toString(36)
    .padStart(4, '0')
    .slice(-4);
  if (Number.isNaN(fired)) return `t${fnv(workflowId).toString(36)}${tag}`;
  return `t${Math.floor(fired / 1000).toString(36)}${tag}`;
}

function verdict(r: WaitResult, timeoutSeconds?: number): Omit<JobOutcome, 'jobId'> {
  if (r.error) return { status: 'failed', error: r.error };
  if (r.timedOut)
    return {
      status: 'failed',
      exitCode: r.exitCode,
      error: `The job ran longer than its timeout of ${timeoutSeconds} s and was stopped.`,
    };
  if (r.oomKilled)
    return {
      status: 'failed',
      exitCode: r.exitCode,
      error: 'The job used more memory than its size allows and was killed; choose a larger size.',
    };
  if (r.exitCode === 0) return { status: 'success', exitCode: 0 };
  return { status: 'failed', exitCode: r.exitCode, error: `The job exited with code ${r.exitCode}.` };
}

/**
 * job:<project>:<id> (or a task's scheduled run) — start the job's container, store its output
 * until it exits, record the outcome, remove the container. Cancelling the workflow (`roro stop`,
 * a task's cancel_previous overlap) stops the container with SIGTERM, then SIGKILL.
 */
export async function runJob(input: RunJobInput): Promise<JobOutcome> {
  const info = workflowInfo();
  const jobId = input.jobId ?? scheduledJobId(info.workflowId, input.project, input.task);
  const ref: JobRef = { jobId, project: input.project, attempt: info.attempt };
  let result: WaitResult;
  try {
    await quick.registerJob({
      ...ref,
      projectId: input.projectId,
      workflowId: info.workflowId,
      command: input.command,
      size: input.size,
      task: input.task,
    });
    // Added after histories without it were recorded: patched() keeps their replay unchanged.
    if (patched('rebuild-missing-image')) {
      await build.ensureReleaseImage({
        projectId: input.projectId,
        project: input.project,
        workId: `job-${jobId}-${info.attempt}`,
      });
    }
    await quick.startJobContainer(ref);
    result = await follow.waitJob({ ...ref, timeoutSeconds: input.timeoutSeconds });
  } catch (err) {
    const cancelled = isCancellation(err);
    const message = cancelled ? 'The job was cancelled.' : activityFailure(err).message;
    // Cleanup must run even though the workflow itself is being cancelled.
    await CancellationScope.nonCancellable(async () => {
      await quick.stopJobContainer(ref);
      await quick.finishJob({ ...ref, status: cancelled ? 'cancelled' : 'failed', error: message });
      await quick.removeJobContainer(ref);
    });
    if (cancelled) throw err;
    throw ApplicationFailure.create({
      message: `Job ${jobId} could not run: ${message}`,
      type: 'job_failed',
    });
  }
  const outcome = verdict(result, input.timeoutSeconds);
  await quick.finishJob({ ...ref, ...outcome });
  await quick.removeJobContainer(ref);
  // A failed run fails the workflow, so a task's retry policy runs it again and its schedule shows the failure.
  if (outcome.status === 'failed')
    throw ApplicationFailure.create({
      message: `Job ${jobId} failed: ${outcome.error}`,
      type: 'job_failed',
      details: [outcome],
    });
  return { jobId, ...outcome };
}
