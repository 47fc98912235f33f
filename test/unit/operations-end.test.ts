import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pool } from 'pg';
import { MockActivityEnvironment } from '@temporalio/testing';
import { orphanReason, START_GRACE_MS, type OpenOperation } from '../../platform/heal/orphans.js';
import { routedHealth } from '../../activities/serving-state.js';
import { servingSummary } from '../../domain/service-health.js';
import { activityEventKey } from '../../activities/events.js';
import { permanentSqlState } from '../../workers/permanent-errors.js';
import { isTemporalUnreachable } from '../../api/workflow-start.js';
import { createActivities } from '../../activities/index.js';
import type { ContainerDriver, ContainerSummary } from '../../containers/driver.js';
import type { ServicePlan } from '../../activities/plan.js';
import type { PlatformEnv } from '../../core/config.js';
import type Docker from 'dockerode';
import { heartbeatSeen } from '../helpers/activity-heartbeat.js';

const op = (over: Partial<OpenOperation> = {}): OpenOperation => ({
  kind: 'deploy',
  id: 'd1',
  projectId: '1',
  project: 'shop',
  workflowId: 'deploy:shop',
  runId: 'run-1',
  ageMs: START_GRACE_MS * 2,
  ...over,
});

test('a running workflow keeps its row open', () => {
  assert.equal(orphanReason(op(), { found: true, status: 'RUNNING' }), undefined);
});

test('a closed workflow closes its row with the way it ended', () => {
  assert.equal(
    orphanReason(op(), { found: true, status: 'TERMINATED' }),
    'The workflow ended without recording its outcome (terminated).',
  );
  assert.match(
    orphanReason(op({ kind: 'job', runId: null }), { found: true, status: 'TIMED_OUT' })!,
    /\(timed out\)/,
  );
});

test('a closed workflow closes even a young row, unless it may be an earlier deploy of the project', () => {
  const young = START_GRACE_MS / 2;
  assert.ok(orphanReason(op({ ageMs: young }), { found: true, status: 'COMPLETED' }));
  assert.ok(orphanReason(op({ kind: 'job', runId: null, ageMs: young }), { found: true, status: 'FAILED' }));
  // deploy:<project> is reused: without its run id the closed run may be the previous deploy's.
  assert.equal(
    orphanReason(op({ runId: null, ageMs: young }), { found: true, status: 'COMPLETED' }),
    undefined,
  );
});

test('a missing workflow closes its row only after the start grace', () => {
  assert.equal(orphanReason(op({ ageMs: START_GRACE_MS - 1 }), { found: false }), undefined);
  assert.equal(
    orphanReason(op({ kind: 'notebook', runId: null }), { found: false }),
    'The workflow ended without recording its outcome (it no longer exists).',
  );
});

const container = (
  over: Partial<ContainerSummary> & { labels: Record<string, string> },
): ContainerSummary => ({
  id: 'c',
  name: 'c',
  image: 'i',
  state: 'running',
  ...over,
});

test('after the route switch, what serves is what the routes point to, with the new release number', () => {
  const routes = [
    { service: 'api', upstreams: ['127.0.0.1:5001', '127.0.0.1:5002'], deployId: 'd2', release: null },
    { service: 'default', upstreams: ['127.0.0.1:4001'], deployId: 'd1', release: 1 },
  ];
  const containers = [
    container({ hostPort: 5001, labels: { 'roro.service': 'api', 'roro.deploy': 'd2' } }),
    container({ hostPort: 5002, labels: { 'roro.service': 'api', 'roro.deploy': 'd2' } }),
    container({ hostPort: 4001, labels: { 'roro.service': 'default', 'roro.deploy': 'd1' } }),
    // An old instance no route points to does not serve.
    container({ hostPort: 3001, labels: { 'roro.service': 'api', 'roro.deploy': 'd1' } }),
  ];
  const health = routedHealth(routes, containers, { deployId: 'd2', release: 2 }, 0);
  assert.equal(
    servingSummary(health),
    'Serving now: api v2 (2 of 2 instances ready), default v1 (1 of 1 instance ready).',
  );
});

test('a routed instance whose container is gone is not counted as serving', () => {
  const routes = [{ service: 'default', upstreams: ['127.0.0.1:4001'], deployId: 'd2', release: null }];
  const gone = routedHealth(routes, [], { deployId: 'd2', release: null }, 0);
  assert.match(servingSummary(gone), /^Nothing is serving: default v\? \(0 of 1 instance ready, down\)/);
});

test('an event key is the same on every attempt of an activity and differs between activities', async () => {
  const key = (activityId: string, attempt: number, n = 0) =>
    new MockActivityEnvironment({
      activityId,
      attempt,
      workflowExecution: { workflowId: 'deploy:shop', runId: 'r1' },
    }).run(async () => activityEventKey(n));
  assert.equal(await key('5', 1), await key('5', 3));
  assert.notEqual(await key('5', 1), await key('6', 1));
  assert.notEqual(await key('5', 1), await key('5', 1, 1));
  assert.equal(activityEventKey(), undefined, 'outside an activity there is no key');
});

test('database errors that repeat on retry are told apart from passing ones', () => {
  const pg = (code: string) => Object.assign(new Error('x'), { code, severity: 'ERROR' });
  assert.equal(permanentSqlState(pg('42501')), '42501'); // insufficient_privilege
  assert.equal(permanentSqlState(pg('23505')), '23505'); // unique_violation
  assert.equal(permanentSqlState(pg('42P01')), '42P01'); // undefined_table
  assert.equal(permanentSqlState(pg('08006')), undefined); // connection failure
  assert.equal(permanentSqlState(pg('57P01')), undefined); // admin shutdown
  assert.equal(permanentSqlState(pg('40001')), undefined); // serialization failure
  assert.equal(permanentSqlState(Object.assign(new Error('x'), { code: '42501' })), undefined, 'not from pg');
  assert.equal(permanentSqlState(undefined), undefined);
});

test('an unreachable Temporal is recognised through the client error that wraps it', () => {
  const grpc = Object.assign(new Error('14 UNAVAILABLE: No connection established'), { code: 14 });
  assert.ok(isTemporalUnreachable(new Error('Failed to start Workflow', { cause: grpc })));
  assert.ok(isTemporalUnreachable(Object.assign(new Error('deadline'), { code: 4 })));
  assert.ok(!isTemporalUnreachable(Object.assign(new Error('bad'), { code: 3 })));
  assert.ok(!isTemporalUnreachable(new Error('plain')));
});

/** A driver whose slow calls finish only once the activity has heartbeaten (or fail after 5 s). */
function driverAwaitingHeartbeat(env: MockActivityEnvironment): ContainerDriver {
  const slow = heartbeatSeen(env);
  return {
    list: async () => [
      container({
        id: 'old',
        labels: { 'roro.deploy': 'd0', 'roro.service': 'default', 'roro.kind': 'service' },
      }),
    ],
    stop: slow,
    remove: async () => {},
    run: async () => {
      await slow();
      return { id: 'new', hostPort: 4100 };
    },
  } as unknown as ContainerDriver;
}

const noDb = { query: async () => ({ rows: [], rowCount: 0 }) } as unknown as Pool;

test('retireInstances heartbeats while it stops containers', async () => {
  const env = new MockActivityEnvironment();
  const acts = createActivities({
    env: {} as PlatformEnv,
    db: noDb,
    docker: {} as Docker,
    driver: driverAwaitingHeartbeat(env),
  });
  assert.equal(await env.run(acts.retireInstances, { project: 'shop', service: 'default' }), 1);
});

test('startInstances heartbeats while it starts containers', async () => {
  const env = new MockActivityEnvironment();
  const acts = createActivities({
    env: {} as PlatformEnv,
    db: noDb,
    docker: {} as Docker,
    driver: driverAwaitingHeartbeat(env),
  });
  const service = { name: 'web', replicas: 1, container: { labels: {}, env: {} } } as unknown as ServicePlan;
  const started = await env.run(acts.startInstances, {
    deployId: 'd1',
    project: 'shop',
    image: 'img',
    service,
  });
  assert.deepEqual(started, [{ id: 'new', name: 'roro-shop-web-d1-0', hostPort: 4100 }]);
});
