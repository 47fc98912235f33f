import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRoroYml } from '../../core/roro-yml.js';
import { memoOf, taskScheduleOptions, TASK_CATCHUP_WINDOW } from '../../domain/schedules.js';
import { jobContainerName } from '../../activities/jobs.js';
import { fixedNanos, sinceParam } from '../../containers/logs.js';
import { scheduledJobId } from '../../workflows/run-job.js';

const yml = `project: p1
tasks:
  - name: train
    command: python train.py
    when: every day at 10:00 AM
    size: S2
    timeout: 1h
    retries: 2
    overlap: cancel_previous
  - name: poll
    command: echo hi
    cron: "*/5 * * * *"
    timezone: Europe/Paris
`;

test('a task becomes a schedule that starts runJob with its size, timeout, retries and overlap', () => {
  const [train, poll] = parseRoroYml(yml).tasks;
  const o = taskScheduleOptions({ taskQueue: 'roro' }, { projectId: '7', project: 'p1' }, train!);
  assert.equal(o.scheduleId, 'task:p1:train');
  assert.deepEqual(o.spec, { cronExpressions: ['0 10 * * *'], timezone: 'UTC' });
  assert.equal(o.action.workflowType, 'runJob');
  assert.equal(o.action.workflowId, 'task:p1:train');
  assert.deepEqual(o.action.args, [
    {
      projectId: '7',
      project: 'p1',
      command: ['/bin/sh', '-c', 'python train.py'],
      task: 'train',
      size: 'S2',
      timeoutSeconds: 3600,
    },
  ]);
  assert.equal(o.action.retry?.maximumAttempts, 3);
  assert.deepEqual(o.policies, { overlap: 'CANCEL_OTHER', catchupWindow: TASK_CATCHUP_WINDOW });
  const p = taskScheduleOptions({ taskQueue: 'roro' }, { projectId: '7', project: 'p1' }, poll!);
  assert.deepEqual(p.spec, { cronExpressions: ['*/5 * * * *'], timezone: 'Europe/Paris' });
  assert.equal(p.policies?.overlap, 'SKIP');
  assert.equal(p.action.retry?.maximumAttempts, 1);
  // The hash changes with the task and only with it, so an unchanged task is left alone on deploy.
  assert.equal(
    memoOf(o.action)!.hash,
    memoOf(taskScheduleOptions({ taskQueue: 'roro' }, { projectId: '7', project: 'p1' }, train!).action)!
      .hash,
  );
  assert.notEqual(
    memoOf(o.action)!.hash,
    memoOf(
      taskScheduleOptions({ taskQueue: 'roro' }, { projectId: '7', project: 'p1' }, { ...train!, retries: 1 })
        .action,
    )!.hash,
  );
});

test('scheduled runs get short, stable job ids from the workflow id the server gives', () => {
  const a = scheduledJobId('task:p1:train-2026-01-01T10:00:00Z', 'p1', 'train');
  assert.equal(a, scheduledJobId('task:p1:train-2026-01-01T10:00:00Z', 'p1', 'train'));
  assert.notEqual(a, scheduledJobId('task:p1:train-2026-01-02T10:00:00Z', 'p1', 'train'));
  assert.notEqual(a, scheduledJobId('task:p1:other-2026-01-01T10:00:00Z', 'p1', 'other'));
  assert.match(a, /^t[0-9a-z]{6,8}[0-9a-z]{4}$/);
  assert.match(scheduledJobId('odd-id', 'p1', 'train'), /^t[0-9a-z]+$/);
});

test('engine timestamps: fixed nanoseconds sort as times; since resumes after the last line', () => {
  assert.equal(fixedNanos('2026-01-01T10:00:00.5Z'), '2026-01-01T10:00:00.500000000Z');
  assert.equal(fixedNanos('2026-01-01T10:00:00Z'), '2026-01-01T10:00:00.000000000Z');
  assert.ok(fixedNanos('2026-01-01T10:00:00.123Z') < fixedNanos('2026-01-01T10:00:00.123000001Z'));
  assert.equal(
    sinceParam('2026-01-01T00:00:01.000000042Z'),
    `${Date.parse('2026-01-01T00:00:01Z') / 1000}.000000042`,
  );
  assert.equal(jobContainerName({ project: 'p1', jobId: 'j1', attempt: 1 }), 'roro-p1-job-j1');
  assert.equal(jobContainerName({ project: 'p1', jobId: 'j1', attempt: 2 }), 'roro-p1-job-j1-a2');
});
