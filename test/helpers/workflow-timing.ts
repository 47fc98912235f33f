import type { RetryPolicy } from '@temporalio/common';
import {
  executeTimed,
  startThenCancel,
  timeSkippingEnvForFile,
  withWorker,
  type Call,
  type MockActivities,
} from './workflow-env.js';

/**
 * One workflow's timing tests on the time-skipping test server (started for the test file): mocked
 * activities that all answer at once unless a test overrides some, a run to the end, and a run
 * cancelled the way `roro stop` does once a given activity has been reached.
 */
export function timedWorkflow(workflowType: string, input: unknown, answers: MockActivities) {
  const testEnv = timeSkippingEnvForFile();
  return {
    /** Every activity answering at once, except the ones a test puts in trouble. */
    activities: (overrides: MockActivities = {}): MockActivities => ({ ...answers, ...overrides }),
    /** Runs the workflow to its end: its outcome and the workflow time (mostly skipped) that passed. */
    run(
      activities: MockActivities,
      calls: Call[],
      options: { input?: unknown; workflowId?: string; retry?: RetryPolicy } = {},
    ) {
      const env = testEnv();
      return withWorker(
        env,
        activities,
        (taskQueue) =>
          executeTimed(env, workflowType, {
            args: [options.input ?? input],
            workflowId: options.workflowId ?? `${workflowType}-${taskQueue}`,
            taskQueue,
            ...(options.retry ? { retry: options.retry } : {}),
          }),
        calls,
      );
    },
    /** Starts the workflow, cancels it once `activity` has been called, and returns how it ended. */
    cancelDuring(activities: MockActivities, calls: Call[], activity: string, what: string) {
      const env = testEnv();
      return withWorker(
        env,
        activities,
        (taskQueue) =>
          startThenCancel(env, workflowType, [input], taskQueue, what, () =>
            calls.some((c) => c.name === activity),
          ),
        calls,
      );
    },
  };
}
