import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from '@temporalio/worker';
import { REPO_ROOT } from '../../core/config.js';

const workflowsPath = fileURLToPath(new URL('../../workflows/index.js', import.meta.url));
const history = (name: string) =>
  JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'test', 'fixtures', 'histories', name), 'utf8'));

// Recorded from real runs: one before runJob rebuilt missing images (no patch marker), one after.
test('runJob histories recorded before and after the image-rebuild patch replay with today’s code', async () => {
  for (const name of ['run-job-before-image-rebuild.json', 'run-job-with-image-rebuild.json']) {
    await assert.doesNotReject(
      Worker.runReplayHistory({ workflowsPath, replayName: name }, history(name)),
      `${name} replays`,
    );
  }
});

// Recorded from real runs: a deploy that succeeded and one that failed before a failed deploy named
// what serves (no patch marker), and a failed one after.
test('deployProject histories recorded before and after the serving-summary patch replay with today’s code', async () => {
  for (const name of [
    'deploy-succeeded-before-serving-summary.json',
    'deploy-failed-before-serving-summary.json',
    'deploy-failed-with-serving-summary.json',
  ]) {
    await assert.doesNotReject(
      Worker.runReplayHistory({ workflowsPath, replayName: name }, history(name)),
      `${name} replays`,
    );
  }
});

// Recorded from a real run: a notebook session started and stopped, with the image-rebuild patch.
test('a notebookSession history recorded with the image-rebuild patch replays with today’s code', async () => {
  const name = 'notebook-session-with-image-rebuild.json';
  await assert.doesNotReject(
    Worker.runReplayHistory({ workflowsPath, replayName: name }, history(name)),
    `${name} replays`,
  );
});

// Recorded from real runs with the patch that ends a deploy failed wherever it fails: one that
// succeeded, and one whose schedules the database refused after the route switch.
test('deployProject histories recorded with the ends-failed-anywhere patch replay with today’s code', async () => {
  for (const name of ['deploy-succeeded-ends-anywhere.json', 'deploy-failed-after-switch.json']) {
    await assert.doesNotReject(
      Worker.runReplayHistory({ workflowsPath, replayName: name }, history(name)),
      `${name} replays`,
    );
  }
});
