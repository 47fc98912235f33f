import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ScheduleDescription } from '@temporalio/client';
import { taskScheduleOptions } from '../../domain/schedules.js';
import type { OverlapPolicy } from '../../core/roro-yml.js';
import { parseRoroYml } from '../../core/roro-yml.js';
import {
  devServerEnvForFile,
  heartbeatUntil,
  heartbeatUntilCancelled,
  until,
  withWorker,
  type Call,
  type MockActivities,
} from '../helpers/workflow-env.js';

// A task's `overlap:` as the scheduler applies it to runs of roro's runJob workflow (mocked
// activities, every run lasting until it is cancelled or released). The schedule is the one a
// deploy writes (taskScheduleOptions), firing every second instead of at its roro.yml time. The
// time-skipping test server implements no Schedules, so this runs on the Temporal CLI's dev server
// in real time, with bounded waits.

const testEnv = devServerEnvForFile();

interface Fixture {
  calls: Call[];
  /** Ends the first run's job as a success; later runs last until cancelled. */
  releaseFirst: () => void;
  describe: () => Promise<ScheduleDescription>;
}

async function withSchedule(overlap: OverlapPolicy, fn: (f: Fixture) => Promise<void>): Promise<void> {
  const env = testEnv();
  const project = `overlap-${overlap.replace('_', '-')}`;
  const yml = parseRoroYml(
    `project: ${project}\ntasks:\n  - name: train\n    command: python train.py\n    when: every day at 2:00 AM\n    overlap: ${overlap}\n`,
  );
  let releaseFirst = () => undefined as void;
  const first = new Promise<{ exitCode: number }>((resolve) => {
    releaseFirst = () => resolve({ exitCode: 0 });
  });
  let follows = 0;
  const calls: Call[] = [];
  const activities = {
    registerJob: async () => undefined,
    ensureReleaseImage: async () => undefined,
    startJobContainer: async () => ({ name: 'c' }),
    waitJob: async () => (++follows === 1 ? heartbeatUntil(first) : heartbeatUntilCancelled()),
    stopJobContainer: async () => undefined,
    finishJob: async () => undefined,
    removeJobContainer: async () => undefined,
  } as MockActivities;
  await withWorker(
    env,
    activities,
    async (taskQueue) => {
      const options = taskScheduleOptions({ taskQueue }, { projectId: '1', project }, yml.tasks[0]!);
      const handle = await env.client.schedule.create({ ...options, spec: { intervals: [{ every: '1s' }] } });
      try {
        await fn({ calls, releaseFirst, describe: () => handle.describe() });
      } finally {
        await handle.delete();
        for await (const w of env.client.workflow.list({ query: `ExecutionStatus = "Running"` }))
          await env.client.workflow
            .getHandle(w.workflowId)
            .terminate('test over')
            .catch(() => undefined);
      }
    },
    calls,
  );
}

const started = (calls: Call[]) => calls.filter((c) => c.name === 'startJobContainer').length;
/** Runs that began (each registers its job first). */
const runs = (calls: Call[]) => calls.filter((c) => c.name === 'registerJob').length;
const finishedAs = (calls: Call[], status: string) =>
  calls.filter((c) => c.name === 'finishJob' && (c.args[0] as { status: string }).status === status).length;

const info = async (f: Fixture) => (await f.describe()).info;

test('overlap: skip — while a run goes on, the fire times that come meanwhile are skipped', async () => {
  await withSchedule('skip', async (f) => {
    await until(
      'a run, then two skipped fire times',
      async () => started(f.calls) === 1 && (await info(f)).numActionsSkippedOverlap >= 2,
      60,
    );
    assert.equal(runs(f.calls), 1);
    assert.equal(finishedAs(f.calls, 'cancelled'), 0);
  });
});

test('overlap: buffer_one — one fire time waits for the run to end, then runs; the others are skipped', async () => {
  await withSchedule('buffer_one', async (f) => {
    await until(
      'a run, then a skipped fire time',
      async () => started(f.calls) === 1 && (await info(f)).numActionsSkippedOverlap >= 1,
      60,
    );
    assert.equal(runs(f.calls), 1, 'the buffered run waits');
    f.releaseFirst();
    await until('the buffered run to start', () => started(f.calls) === 2, 60);
    assert.equal(finishedAs(f.calls, 'success'), 1);
    assert.equal(finishedAs(f.calls, 'cancelled'), 0);
  });
});

test('overlap: cancel_previous — the next fire time cancels the run still going: its container is stopped and the job recorded cancelled', async () => {
  await withSchedule('cancel_previous', async (f) => {
    await until(
      'a run cancelled by the next',
      () => finishedAs(f.calls, 'cancelled') >= 1 && runs(f.calls) >= 2,
      60,
    );
    // A run's workflow id ends with its fire time (ISO 8601, so it sorts as text).
    const firedAt = new Map(
      f.calls
        .filter((c) => c.name === 'registerJob')
        .map((c) => {
          const { jobId, workflowId } = c.args[0] as { jobId: string; workflowId: string };
          return [jobId, workflowId.slice(-20)] as const;
        }),
    );
    const latest = [...firedAt.values()].sort().at(-1)!;
    const cancelled = f.calls
      .filter((c) => c.name === 'finishJob' && (c.args[0] as { status: string }).status === 'cancelled')
      .map((c) => (c.args[0] as { jobId: string }).jobId);
    for (const job of cancelled) {
      assert.ok(
        firedAt.get(job)! < latest,
        `${job} (fired ${firedAt.get(job)}) was cancelled by a later run`,
      );
      assert.ok(
        f.calls.some((c) => c.name === 'stopJobContainer' && (c.args[0] as { jobId: string }).jobId === job),
        `${job}'s container was stopped`,
      );
    }
  });
});

test('overlap: allow_all — runs overlap', async () => {
  await withSchedule('allow_all', async (f) => {
    await until('three runs at once', () => started(f.calls) >= 3, 60);
    assert.equal(finishedAs(f.calls, 'cancelled'), 0);
    assert.equal((await info(f)).numActionsSkippedOverlap, 0);
  });
});
