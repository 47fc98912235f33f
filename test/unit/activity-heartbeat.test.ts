import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pool } from 'pg';
import type Docker from 'dockerode';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../activities/index.js';
import { heartbeating } from '../../activities/heartbeat.js';
import type { ContainerDriver } from '../../containers/driver.js';
import type { PlatformEnv } from '../../core/config.js';
import { NotFoundError } from '../../core/errors.js';
import { heartbeatSeen } from '../helpers/activity-heartbeat.js';

// The quick profile's heartbeat timeout lets a retry follow a dead worker within seconds: that
// holds only if every activity under it heartbeats, the ones that stop and remove containers first.

/** Every activity, over a driver whose stop and remove finish only after a heartbeat. */
function activitiesOver(env: MockActivityEnvironment) {
  const slow = heartbeatSeen(env);
  const driver = {
    stop: slow,
    remove: slow,
    list: async () => [{ id: 'c1', name: 'c1', labels: {}, state: 'running' }],
    inspect: async (name: string) => {
      throw new NotFoundError(`no container ${name}`);
    },
  } as unknown as ContainerDriver;
  const db = { query: async () => ({ rows: [], rowCount: 0 }) } as unknown as Pool;
  return createActivities({ env: {} as PlatformEnv, db, docker: {} as Docker, driver });
}

const job = { jobId: 'j1', project: 'shop', attempt: 1 };
const notebook = { notebookId: 'n1', project: 'shop', projectId: '1' };

test('stopJobContainer heartbeats while the container stops', async () => {
  const env = new MockActivityEnvironment();
  await env.run(activitiesOver(env).stopJobContainer, job);
});

test('removeJobContainer heartbeats while the container is removed', async () => {
  const env = new MockActivityEnvironment();
  await env.run(activitiesOver(env).removeJobContainer, job);
});

test('stopNotebookContainer heartbeats while the container stops', async () => {
  const env = new MockActivityEnvironment();
  await env.run(activitiesOver(env).stopNotebookContainer, notebook);
});

test('removeDeployInstances heartbeats while the containers are removed', async () => {
  const env = new MockActivityEnvironment();
  assert.equal(await env.run(activitiesOver(env).removeDeployInstances, 'd1'), 1);
});

test('heartbeating keeps each activity’s arguments and result, and beats while it runs', async () => {
  const env = new MockActivityEnvironment();
  let beats = 0;
  env.on('heartbeat', () => beats++);
  const acts = heartbeating({
    async add(a: number, b: number) {
      // A call that lasts past the first beat sees the next one, a second later.
      for (let i = 0; i < 50 && beats < 2; i++) await new Promise((r) => setTimeout(r, 100));
      return a + b;
    },
  });
  assert.equal(await env.run(acts.add, 2, 3), 5);
  assert.ok(beats >= 2, `${beats} heartbeats in a call of up to 5 s`);
});
