import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyService, servingSummary, type ServiceHealth } from '../../domain/service-health.js';
import { exitReason } from '../../platform/heal/exit-reason.js';

const base = {
  desiredState: 'running' as const,
  deployRunning: false,
  desired: 2,
  running: 2,
  ready: 2,
  restarting: 0,
  restarts: 0,
  lastExitAt: null,
  now: 1_000_000,
};

test('running only when every wanted instance runs and answers', () => {
  assert.equal(classifyService(base), 'running');
  assert.equal(classifyService({ ...base, ready: 1 }), 'degraded');
  // The healer's last count is not trusted past what the engine says runs now.
  assert.equal(classifyService({ ...base, running: 0 }), 'down');
  assert.equal(classifyService({ ...base, running: 1 }), 'degraded');
});

test('a service whose instances keep exiting is crash-looping, not down', () => {
  const dead = { ...base, running: 0, ready: 0 };
  assert.equal(classifyService({ ...dead, restarting: 1 }), 'crash-looping');
  assert.equal(classifyService({ ...dead, restarts: 3, lastExitAt: base.now - 10_000 }), 'crash-looping');
  assert.equal(classifyService({ ...dead, restarts: 3, lastExitAt: base.now - 3_600_000 }), 'down');
  assert.equal(classifyService({ ...dead, restarts: 1, lastExitAt: base.now - 1000 }), 'down');
});

test('stopped and deploying services say so', () => {
  assert.equal(classifyService({ ...base, desiredState: 'stopped', running: 0 }), 'stopped');
  assert.equal(classifyService({ ...base, deployRunning: true }), 'deploying');
});

const health = (over: Partial<ServiceHealth>): ServiceHealth => ({
  name: 'default',
  state: 'running',
  release: 3,
  desired: 1,
  running: 1,
  ready: 1,
  restarts: 0,
  lastExit: null,
  updatedAt: new Date(0).toISOString(),
  ...over,
});

test('a failed deploy says what actually serves', () => {
  assert.equal(servingSummary([health({})]), 'Serving now: default v3 (1 of 1 instance ready).');
  const none = servingSummary([health({ state: 'down', running: 0, ready: 0 })]);
  assert.match(none, /^Nothing is serving: default v3 \(0 of 1 instance ready, down\)\./);
  assert.match(none, /restarts missing instances by itself/);
  assert.equal(
    servingSummary([health({ desired: 0, state: 'stopped' })]),
    'Nothing is serving: the project has no running service.',
  );
});

test('exit reasons name the cause', () => {
  assert.match(exitReason(137, true), /out of memory/);
  assert.match(exitReason(137, false), /SIGKILL/);
  assert.equal(exitReason(3, false), 'exited with code 3');
});
