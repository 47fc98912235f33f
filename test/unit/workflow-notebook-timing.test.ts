import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/activity';
import { CancelledFailure } from '@temporalio/common';
import type { NotebookSessionInput } from '../../workflows/notebook-session.js';
import {
  causeOf,
  hang,
  heartbeatUntilCancelled,
  type Call,
  type MockActivities,
} from '../helpers/workflow-env.js';
import { timedWorkflow } from '../helpers/workflow-timing.js';

// notebookSession's timing paths with mocked activities on the time-skipping test server: the
// session ending by itself (Jupyter idle or shut down from its UI), a follower whose worker died
// (5 s heartbeat timeout, in real time: the test server skips no time while an activity is in
// flight), a start that never answers, and `roro stop` while starting or running.

const input: NotebookSessionInput = { projectId: '1', project: 'p', notebookId: 'n1' };

const { activities, run, cancelDuring } = timedWorkflow('notebookSession', input, {
  ensureReleaseImage: async () => undefined,
  startNotebookContainer: async () => ({ hostPort: 40002 }),
  waitNotebookReady: async () => undefined,
  switchRoute: async () => undefined,
  markNotebook: async () => undefined,
  waitNotebook: async () => ({ exitCode: 0, logs: [] }),
  removeRoutes: async () => undefined,
  stopNotebookContainer: async () => undefined,
} as MockActivities);

const marks = (calls: Call[]) =>
  calls.filter((c) => c.name === 'markNotebook').map((c) => (c.args[0] as { status: string }).status);
/** The calls after the session's follower: what ending the session did. */
const afterFollow = (calls: Call[]) =>
  calls.slice(calls.map((c) => c.name).lastIndexOf('waitNotebook') + 1).map((c) => c.name);

test('a session whose Jupyter ends by itself (idle shutdown) is finished: route and container go, the row says why', async () => {
  const calls: Call[] = [];
  const r = await run(activities(), calls);
  assert.equal(r.error, undefined);
  assert.deepEqual(r.value, {
    notebookId: 'n1',
    status: 'finished',
    error: 'Jupyter exited (shut down from its UI?).',
  });
  assert.deepEqual(afterFollow(calls), ['removeRoutes', 'stopNotebookContainer', 'markNotebook']);
  assert.deepEqual(marks(calls), ['running', 'finished']);
});

test('a session whose follower died is followed again after the 5 s heartbeat timeout and ends once', async () => {
  let follows = 0;
  const calls: Call[] = [];
  const r = await run(
    activities({
      waitNotebook: async () => {
        if (++follows === 1) return hang();
        return { exitCode: 0, logs: [] };
      },
    }),
    calls,
  );
  assert.equal(r.error, undefined);
  assert.equal(follows, 2);
  assert.equal(
    calls.filter((c) => c.name === 'startNotebookContainer').length,
    1,
    'Jupyter is not started twice',
  );
  assert.deepEqual(marks(calls), ['running', 'finished']);
});

test('a Jupyter that never answers is given up after 5 attempts: the session fails and leaves no route or container', async () => {
  const calls: Call[] = [];
  const r = await run(
    activities({
      waitNotebookReady: async () => {
        throw ApplicationFailure.retryable('Jupyter did not answer within 240 s', 'not_ready');
      },
    }),
    calls,
  );
  assert.equal((causeOf(r.error) as ApplicationFailure).type, 'notebook_failed');
  assert.match((causeOf(r.error) as ApplicationFailure).message, /could not start: Jupyter did not answer/);
  assert.equal(calls.filter((c) => c.name === 'waitNotebookReady').length, 5);
  // Backoff 1, 2, 4, 8 s between the 5 attempts.
  assert.ok(r.workflowSeconds >= 15, `the retries backed off (${r.workflowSeconds} s)`);
  assert.equal(calls.filter((c) => c.name === 'switchRoute').length, 0);
  assert.deepEqual(afterFollow(calls).slice(-3), ['removeRoutes', 'stopNotebookContainer', 'markNotebook']);
  assert.deepEqual(marks(calls), ['failed']);
});

test('roro stop ends a running session: route and container go, the row says stopped', async () => {
  const calls: Call[] = [];
  const { error } = await cancelDuring(
    activities({ waitNotebook: heartbeatUntilCancelled }),
    calls,
    'waitNotebook',
    'the running session',
  );
  assert.ok(causeOf(error) instanceof CancelledFailure);
  assert.deepEqual(afterFollow(calls), ['removeRoutes', 'stopNotebookContainer', 'markNotebook']);
  assert.deepEqual(marks(calls), ['running', 'stopped']);
});

test('roro stop while Jupyter starts waits for the start to give up, then removes what it started', async () => {
  const calls: Call[] = [];
  const { error } = await cancelDuring(
    activities({
      waitNotebookReady: async () => {
        try {
          return await heartbeatUntilCancelled();
        } finally {
          calls.push({ name: 'waitNotebookReady ended', args: [] });
        }
      },
    }),
    calls,
    'waitNotebookReady',
    'the readiness wait',
  );
  assert.ok(causeOf(error) instanceof CancelledFailure);
  const names = calls.map((c) => c.name);
  assert.deepEqual(names.slice(names.indexOf('waitNotebookReady ended')), [
    'waitNotebookReady ended',
    'removeRoutes',
    'stopNotebookContainer',
    'markNotebook',
  ]);
  assert.deepEqual(marks(calls), ['stopped']);
});
