import { ActivityCancellationType, type ActivityOptions } from '@temporalio/workflow';

/**
 * Activity options of the workflows that own one container (a job, a notebook session). Each waits
 * for a cancelled activity to finish cancelling, so a cancelled start is over before cleanup looks
 * for the container.
 */

/** How long a quick activity may go without a heartbeat before its worker is taken for dead. */
export const QUICK_HEARTBEAT_TIMEOUT = '10 seconds';

/**
 * Database rows and container start, stop and removal. Every activity heartbeats each second
 * (activities/heartbeat.ts), so a call whose worker died is retried after the heartbeat timeout
 * rather than the start-to-close one. Replay compares an activity's type and id, not its options.
 */
export const QUICK: ActivityOptions = {
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: QUICK_HEARTBEAT_TIMEOUT,
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: { initialInterval: '1 second', maximumInterval: '10 seconds', maximumAttempts: 30 },
};

/** Rebuilding a lost image (a restored machine) takes as long as a deploy's build. */
export const REBUILD: ActivityOptions = {
  startToCloseTimeout: '35 minutes',
  heartbeatTimeout: '20 seconds',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: { initialInterval: '2 seconds', maximumAttempts: 5 },
};

/**
 * Following the container until it exits: the activity heartbeats each second, so a dead worker is
 * noticed within the heartbeat timeout and the retry re-attaches to the running container, and
 * cancellation reaches it on a heartbeat.
 */
export function following(
  startToCloseTimeout: ActivityOptions['startToCloseTimeout'],
  heartbeatTimeout: ActivityOptions['heartbeatTimeout'],
): ActivityOptions {
  return {
    startToCloseTimeout,
    heartbeatTimeout,
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: { initialInterval: '1 second', maximumInterval: '10 seconds', maximumAttempts: 200 },
  };
}
