import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { WorkflowFailedError } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import type { JobRef } from '../../activities/jobs.js';
import { taskScheduleOptions } from '../../domain/schedules.js';
import { parseRoroYml } from '../../core/roro-yml.js';
import type { RunJobInput } from '../../workflows/run-job.js';
import {
  causeOf,
  counts,
  hang,
  heartbeatUntilCancelled,
  type Call,
  type MockActivities,
} from '../helpers/workflow-env.js';
import { timedWorkflow } from '../helpers/workflow-timing.js';

// runJob's timing paths (roro run and scheduled runs) with mocked activities on the time-skipping
// test server. The follower's heartbeat timeout (10 s) passes in real time: the test server skips
// no time while an activity is in flight.

const input: RunJobInput = { projectId: '1', project: 'p', jobId: 'j1', command: ['python', 'train.py'] };

const { activities, run, cancelDuring } = timedWorkflow('runJob', input, {
  registerJob: async () => undefined,
  ensureReleaseImage: async () => undefined,
  startJobContainer: async () => ({ name: 'roro-p-job-j1' }),
  waitJob: async () => ({ exitCode: 0 }),
  stopJobContainer: async () => undefined,
  finishJob: async () => undefined,
  removeJobContainer: async () => undefined,
} as MockActivities);

const finished = (calls: Call[]) => calls.filter((c) => c.name === 'finishJob').map((c) => c.args[0]);

test('a job whose follower died is followed again after the 10 s heartbeat timeout and ends once', async () => {
  let waits = 0;
  const calls: Call[] = [];
  const r = await run(
    activities({
      waitJob: async () => {
        if (++waits === 1) return hang();
        return { exitCode: 0 };
      },
    }),
    calls,
  );
  assert.equal(r.error, undefined);
  assert.deepEqual(r.value, { jobId: 'j1', status: 'success', exitCode: 0 });
  assert.equal(waits, 2);
  assert.equal(counts(calls).startJobContainer, 1, 'the container is not started twice');
  assert.deepEqual(finished(calls), [
    { jobId: 'j1', project: 'p', attempt: 1, status: 'success', exitCode: 0 },
  ]);
  assert.equal(counts(calls).removeJobContainer, 1);
});

test('a job past its timeout fails with the reason and its container is removed', async () => {
  const calls: Call[] = [];
  const r = await run(activities({ waitJob: async () => ({ timedOut: true, exitCode: 137 }) }), calls, {
    input: { ...input, timeoutSeconds: 5 },
  });
  assert.ok(r.error instanceof WorkflowFailedError);
  assert.equal((causeOf(r.error) as ApplicationFailure).type, 'job_failed');
  const [outcome] = finished(calls) as { status: string; error: string }[];
  assert.equal(outcome!.status, 'failed');
  assert.equal(outcome!.error, 'The job ran longer than its timeout of 5 s and was stopped.');
  assert.equal(counts(calls).removeJobContainer, 1);
});

test('a container that cannot start for a user error is tried once; one that fails transiently is retried', async () => {
  const calls: Call[] = [];
  const r = await run(
    activities({
      startJobContainer: async () => {
        throw ApplicationFailure.nonRetryable('Unknown size S9: use one of S1, S2, ...', 'bad_size');
      },
    }),
    calls,
  );
  assert.ok(r.error instanceof WorkflowFailedError);
  assert.match((causeOf(r.error) as ApplicationFailure).message, /Job j1 could not run: Unknown size S9/);
  assert.equal(counts(calls).startJobContainer, 1);
  assert.deepEqual(
    finished(calls).map((o) => (o as { status: string }).status),
    ['failed'],
  );

  let starts = 0;
  const again: Call[] = [];
  const ok = await run(
    activities({
      startJobContainer: async () => {
        if (++starts < 4) throw new Error('docker engine restarting');
        return { name: 'roro-p-job-j1' };
      },
    }),
    again,
  );
  assert.equal(ok.error, undefined);
  assert.equal(starts, 4);
  assert.deepEqual(
    finished(again).map((o) => (o as { status: string }).status),
    ['success'],
  );
});

test('roro stop cancels a running job: the container is stopped, the job recorded cancelled, then removed', async () => {
  const calls: Call[] = [];
  const outcome = await cancelDuring(
    activities({ waitJob: heartbeatUntilCancelled }),
    calls,
    'waitJob',
    'the job to be followed',
  );
  assert.ok(causeOf(outcome.error) instanceof CancelledFailure);
  const after = calls.slice(calls.findIndex((c) => c.name === 'waitJob') + 1).map((c) => c.name);
  assert.deepEqual(after, ['stopJobContainer', 'finishJob', 'removeJobContainer']);
  assert.equal((finished(calls)[0] as { status: string }).status, 'cancelled');
});

test('a job cancelled while its container starts is cleaned up only after the start has given up', async () => {
  const calls: Call[] = [];
  const outcome = await cancelDuring(
    activities({
      startJobContainer: async () => {
        try {
          return await heartbeatUntilCancelled();
        } finally {
          calls.push({ name: 'startJobContainer ended', args: [] });
        }
      },
    }),
    calls,
    'startJobContainer',
    'the container start',
  );
  assert.ok(causeOf(outcome.error) instanceof CancelledFailure);
  const names = calls.map((c) => c.name);
  assert.ok(names.indexOf('startJobContainer ended') < names.indexOf('stopJobContainer'), names.join(', '));
  assert.equal((finished(calls)[0] as { status: string }).status, 'cancelled');
});

test('a failed scheduled run is run again after the task’s retry backoff, as a new attempt with its own container', async () => {
  const yml = parseRoroYml(
    'project: pj\ntasks:\n  - name: nightly\n    command: python train.py\n    when: every day at 2:00 AM\n    retries: 1\n',
  );
  const schedule = taskScheduleOptions(
    { taskQueue: 'unused' },
    { projectId: '1', project: 'pj' },
    yml.tasks[0]!,
  );
  assert.equal(schedule.action.type, 'startWorkflow');
  const [args] = schedule.action.args as [RunJobInput];
  let waits = 0;
  const calls: Call[] = [];
  const r = await run(
    activities({
      waitJob: async () => {
        assert.ok(Context.current().info.attempt >= 1);
        return { exitCode: ++waits === 1 ? 3 : 0 };
      },
    }),
    calls,
    // What the schedule starts at a fire time: its workflow id carries the time, its retry policy the task's retries.
    { input: args, workflowId: 'task:pj:nightly-2026-01-01T02:00:00Z', retry: schedule.action.retry },
  );
  assert.equal(r.error, undefined);
  assert.equal((r.value as { status: string }).status, 'success');
  assert.ok(r.workflowSeconds >= 10, `the retry waited its 10 s backoff (${r.workflowSeconds} s)`);
  const refs = calls.filter((c) => c.name === 'startJobContainer').map((c) => c.args[0] as JobRef);
  assert.equal(refs.length, 2);
  assert.equal(refs[0]!.jobId, refs[1]!.jobId, 'both attempts are the same job');
  assert.deepEqual(
    refs.map((ref) => ref.attempt),
    [1, 2],
  );
  assert.deepEqual(
    finished(calls).map((o) => (o as { status: string }).status),
    ['failed', 'success'],
  );
});
