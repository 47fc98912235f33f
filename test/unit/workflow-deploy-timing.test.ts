import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/activity';
import { WorkflowFailedError } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import type { DeployPlan } from '../../activities/deploys.js';
import type { ServicePlan } from '../../activities/plan.js';
import {
  causeOf,
  counts,
  hang,
  heartbeatUntilCancelled,
  type Call,
  type MockActivities,
} from '../helpers/workflow-env.js';
import { timedWorkflow } from '../helpers/workflow-timing.js';

// deployProject's timing paths with mocked activities on the time-skipping test server: retries
// and their backoff until a step gives up (minutes of workflow time, skipped), the heartbeat timeout
// of a dead worker, and cancellation. The test server skips no time while an activity is in flight,
// so the heartbeat timeout (15 s) passes in real time.

const plan: DeployPlan = {
  deployId: 'd1',
  project: 'p',
  projectId: '1',
  kind: 'deploy',
  build: { runtime: 'python3', codeDir: '/nowhere' },
  release: 2,
  newRelease: true,
  services: [{ name: 'default' } as ServicePlan],
  tasks: [],
  removedServices: [],
};

/** Every step of a deploy answers at once; a test replaces the ones it puts in trouble. */
const { activities, run, cancelDuring } = timedWorkflow('deployProject', { deployId: 'd1' }, {
  prepareDeploy: async () => plan,
  emit: async () => undefined,
  buildImage: async () => 'roro/app-p:d1',
  startInstances: async () => [{ id: 'c1', name: 'roro-p-default-d1-0', hostPort: 40001 }],
  waitReady: async () => undefined,
  switchRoute: async () => undefined,
  retireInstances: async () => 0,
  removeRoutes: async () => undefined,
  recordRelease: async () => ({ version: 2, urls: { default: 'https://localhost/p/' } }),
  syncSchedules: async () => ({ created: [], updated: [], deleted: [], unchanged: [] }),
  finishDeploy: async () => undefined,
  removeDeployInstances: async () => 1,
  describeServing: async () => 'Serving now: default v1.',
  failDeploy: async () => undefined,
} as MockActivities);

test('a readiness wait whose worker died is started again after the 15 s heartbeat timeout, and the deploy completes', async () => {
  let waits = 0;
  const calls: Call[] = [];
  const r = await run(
    activities({
      waitReady: async () => {
        if (++waits === 1) return hang();
      },
    }),
    calls,
  );
  assert.equal(r.error, undefined);
  assert.deepEqual(r.value, { version: 2, urls: { default: 'https://localhost/p/' } });
  assert.equal(waits, 2);
  assert.ok(r.workflowSeconds >= 15, `the retry waited for the heartbeat timeout (${r.workflowSeconds} s)`);
  assert.equal(counts(calls).finishDeploy, 1);
  assert.equal(counts(calls).failDeploy, undefined);
});

test('a build that keeps failing is given up after 5 attempts: the deploy fails, its new instances go, nothing is switched', async () => {
  const calls: Call[] = [];
  const r = await run(
    activities({
      buildImage: async () => {
        throw new Error('docker engine unreachable');
      },
    }),
    calls,
  );
  assert.ok(r.error instanceof WorkflowFailedError);
  assert.equal((causeOf(r.error) as ApplicationFailure).type, 'deploy_failed');
  const n = counts(calls);
  assert.equal(n.buildImage, 5);
  // Backoff 2, 4, 8, 16 s between the 5 attempts.
  assert.ok(r.workflowSeconds >= 30, `the retries backed off (${r.workflowSeconds} s)`);
  assert.equal(n.startInstances, undefined);
  assert.equal(n.switchRoute, undefined);
  assert.equal(n.removeDeployInstances, 1);
  assert.equal(n.failDeploy, 1);
  const failed = calls.find((c) => c.name === 'failDeploy')!;
  assert.match(String(failed.args[1]), /^docker engine unreachable .*Serving now: default v1\./);
});

test('a service that never gets ready is retried 10 times with backoff, then the deploy fails and says what serves', async () => {
  const calls: Call[] = [];
  const r = await run(
    activities({
      waitReady: async () => {
        throw ApplicationFailure.retryable('not ready yet', 'not_ready');
      },
    }),
    calls,
  );
  assert.ok(r.error instanceof WorkflowFailedError);
  assert.match((causeOf(r.error) as ApplicationFailure).message, /not ready yet Serving now: default v1\./);
  const n = counts(calls);
  assert.equal(n.waitReady, 10);
  // Backoff 1, 2, 4, 8, then capped at 10 s: 1+2+4+8+10*5 = 65 s between the 10 attempts.
  assert.ok(r.workflowSeconds >= 65, `the retries backed off (${r.workflowSeconds} s)`);
  assert.equal(n.switchRoute, undefined);
  assert.equal(n.removeDeployInstances, 1);
  assert.equal(n.failDeploy, 1);
  assert.equal(n.finishDeploy, undefined);
});

test('a user error is not retried: one attempt, then the deploy fails with its message', async () => {
  const calls: Call[] = [];
  const r = await run(
    activities({
      buildImage: async () => {
        throw ApplicationFailure.nonRetryable('No matching distribution found for nope==1', 'build_failed');
      },
    }),
    calls,
  );
  assert.ok(r.error instanceof WorkflowFailedError);
  assert.match(
    (causeOf(r.error) as ApplicationFailure).message,
    /No matching distribution found for nope==1/,
  );
  assert.equal(counts(calls).buildImage, 1);
  assert.equal(counts(calls).failDeploy, 1);
});

test('a route switch that fails twice is retried and the deploy completes once', async () => {
  let switches = 0;
  const calls: Call[] = [];
  const r = await run(
    activities({
      switchRoute: async () => {
        if (++switches <= 2) throw new Error('gateway reload failed');
      },
    }),
    calls,
  );
  assert.equal(r.error, undefined);
  assert.equal(switches, 3);
  assert.ok(r.workflowSeconds >= 1 + 2, `the retries backed off (${r.workflowSeconds} s)`);
  assert.equal(counts(calls).finishDeploy, 1);
  assert.equal(counts(calls).recordRelease, 1);
});

test('a deploy cancelled while its new instances start removes them and records why; the previous release keeps its route', async () => {
  const calls: Call[] = [];
  const { error } = await cancelDuring(
    activities({ waitReady: heartbeatUntilCancelled }),
    calls,
    'waitReady',
    'the readiness wait',
  );
  assert.ok(causeOf(error) instanceof CancelledFailure);
  const n = counts(calls);
  assert.equal(n.switchRoute, undefined);
  assert.equal(n.removeDeployInstances, 1);
  assert.equal(n.failDeploy, 1);
});
