import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Cleanup } from '../../bench/cluster/cleanup.js';

test('cleanup: last started, first removed; a failed step does not stop the others', async () => {
  const done: string[] = [];
  const cleanup = new Cleanup();
  cleanup.add('stop the engine', async () => done.push('engine'));
  cleanup.add('stop the platform', async () => {
    throw new Error('already down');
  });
  cleanup.add('delete the project', async () => done.push('project'));
  await cleanup.run();
  assert.deepEqual(done, ['project', 'engine']);
});

test('cleanup: a step added once the cleanup began still runs, and running twice undoes once', async () => {
  const done: string[] = [];
  const cleanup = new Cleanup();
  let release = () => {};
  cleanup.add('slow step', () => new Promise<void>((r) => (release = r)).then(() => done.push('slow')));
  const first = cleanup.run();
  cleanup.add('late step', async () => done.push('late'));
  release();
  await Promise.all([first, cleanup.run()]);
  assert.deepEqual(done, ['slow', 'late']);
});
