import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { waitContainerReady, type ReadinessWait } from '../../activities/container-readiness.js';
import type { ContainerDriver, ContainerState, ContainerStatus } from '../../containers/driver.js';
import { NotFoundError } from '../../core/errors.js';

type Step = ContainerState | 'gone' | 'refused' | 'hangs';

/** A driver whose inspect walks through the given steps (the last one repeats) and counts starts. */
function scripted(steps: Step[]) {
  let i = 0;
  const seen = { starts: 0, inspects: 0 };
  const status = (state: ContainerState): ContainerStatus => ({
    id: 'c1',
    name: 'c1',
    state,
    exitCode: state === 'exited' ? 0 : undefined,
    oomKilled: false,
    hostPort: 20001,
    startedAt: undefined,
    finishedAt: undefined,
    restartCount: 0,
    labels: {},
  });
  const driver = {
    inspect: async () => {
      seen.inspects++;
      const step = steps[Math.min(i++, steps.length - 1)]!;
      if (step === 'gone') throw new NotFoundError('no such container');
      if (step === 'refused') throw new Error('connect ECONNREFUSED /var/run/docker.sock');
      if (step === 'hangs') return new Promise<ContainerStatus>(() => {});
      return status(step);
    },
    start: async () => {
      seen.starts++;
    },
  } as unknown as ContainerDriver;
  return { driver, seen };
}

const wait = (over: Partial<ReadinessWait> = {}): ReadinessWait => ({
  container: 'c1',
  timeoutMs: 5_000,
  intervalMs: 1,
  engineCallTimeoutMs: 50,
  answers: async () => true,
  crashed: async (why) => new Error(`crashed: ${why}`),
  timedOut: async (engineError) => new Error(`timed out${engineError ? `: ${engineError}` : ''}`),
  ...over,
});

const run = (driver: ContainerDriver, w: ReadinessWait) =>
  new MockActivityEnvironment({}, { logger: new DefaultLogger('ERROR') }).run(() =>
    waitContainerReady(driver, w),
  );

test('an engine that refuses or hangs for a while (a restart) is waited for, not a failure', async () => {
  // Engine killed, its socket gone, then a starting engine that holds requests, then the stopped
  // container, which gets its one more start.
  const { driver, seen } = scripted(['running', 'refused', 'refused', 'hangs', 'exited', 'running']);
  await run(driver, wait({ answers: async () => seen.inspects >= 6 }));
  assert.equal(seen.starts, 1);
});

test('a container that stops again after its one more start has crashed', async () => {
  const { driver, seen } = scripted(['exited', 'running', 'exited']);
  await assert.rejects(run(driver, wait({ answers: async () => false })), /crashed: exited with code 0/);
  assert.equal(seen.starts, 1);
});

test('a container that disappears has crashed; one that never answers times out', async () => {
  await assert.rejects(run(scripted(['gone']).driver, wait()), /crashed: disappeared/);
  await assert.rejects(
    run(scripted(['running']).driver, wait({ timeoutMs: 30, answers: async () => false })),
    /^Error: timed out$/,
  );
});

test('an engine that never comes back ends the wait at its deadline, naming the engine', async () => {
  await assert.rejects(
    run(scripted(['refused']).driver, wait({ timeoutMs: 30 })),
    /timed out: connect ECONNREFUSED/,
  );
  await assert.rejects(
    run(scripted(['hangs']).driver, wait({ timeoutMs: 30 })),
    /did not answer within 0.05 s/,
  );
});
