import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { REPO_ROOT } from '../../core/config.js';
import * as workflows from '../../workflows/index.js';
import { workflowBundle as bundleOnce } from '../helpers/workflow-env.js';

// Every history in this folder was recorded from a real run (scripts/record-history.sh) and is
// replayed with today's workflow code: a change that would break a workflow in flight during an
// upgrade fails here. Adding a fixture file needs no code.
const dir = path.join(REPO_ROOT, 'test', 'fixtures', 'histories');
const fixtures = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort();

interface RecordedHistory {
  events: {
    eventType?: string;
    workflowExecutionStartedEventAttributes?: { workflowType?: { name?: string } };
  }[];
}

const history = (name: string): RecordedHistory =>
  JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')) as RecordedHistory;
const workflowType = (h: RecordedHistory) =>
  h.events[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name;

/** How the recorded run ended, from its last event: what the fixture proves still replays. */
const closedAs = (h: RecordedHistory) =>
  h.events.at(-1)?.eventType?.replace(/^EVENT_TYPE_WORKFLOW_EXECUTION_/, '');

// Workflows that run user work; ping only proves a worker polls and has no state to carry across an upgrade.
const DURABLE = Object.keys(workflows).filter((name) => name !== 'ping');

describe('recorded workflow histories replay with today’s code', () => {
  let workflowBundle: WorkflowBundleWithSourceMap;
  before(async () => {
    workflowBundle = await bundleOnce();
  });

  test('every durable workflow has recorded histories, each of a closed run', () => {
    const types = new Map<string, string[]>();
    for (const name of fixtures) {
      const h = history(name);
      const type = workflowType(h);
      assert.ok(type, `${name}: the first event must be WORKFLOW_EXECUTION_STARTED`);
      assert.ok(type in workflows, `${name}: workflow type ${type} is not exported by workflows/index.ts`);
      assert.match(
        closedAs(h) ?? '',
        /^(COMPLETED|FAILED|CANCELED|TERMINATED|TIMED_OUT|CONTINUED_AS_NEW)$/,
        `${name}: the history must end with the run's close (record it once the workflow has closed)`,
      );
      types.set(type, [...(types.get(type) ?? []), closedAs(h)!]);
    }
    for (const type of DURABLE) {
      const outcomes = types.get(type) ?? [];
      assert.ok(
        outcomes.includes('COMPLETED'),
        `no recorded history of a ${type} that completed: record one with scripts/record-history.sh`,
      );
    }
  });

  for (const name of fixtures) {
    test(`${name} (${workflowType(history(name))}, ${closedAs(history(name))?.toLowerCase()})`, async () => {
      await Worker.runReplayHistory({ workflowBundle, replayName: name }, history(name));
    });
  }
});
