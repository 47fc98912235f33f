import { after, before } from 'node:test';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Context } from '@temporalio/activity';
import proto from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowFailedError } from '@temporalio/client';
import type { RetryPolicy } from '@temporalio/common';
import {
  DefaultLogger,
  Runtime,
  Worker,
  bundleWorkflowCode,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { REPO_ROOT } from '../../core/config.js';
import type { PlatformActivities } from '../../activities/index.js';
import { KIND_ATTR, PROJECT_ATTR, SEARCH_ATTRIBUTES } from '../../temporal/search-attributes.js';

// Workflow tests run roro's real workflow code against a Temporal server with mocked activities:
// plain async functions registered under the real activities' names.

const KEYWORD = proto.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
const workflowsPath = fileURLToPath(new URL('../../workflows/index.js', import.meta.url));
/** Installed by scripts/setup.sh (scripts/temporal-test-server/install.sh). */
const TEST_SERVER = path.join(REPO_ROOT, 'scripts', 'temporal-test-server', 'run.sh');
const TEST_SERVER_LIB = path.join(REPO_ROOT, '.cache', 'temporal-test-server', 'lib');

// Worker state changes and the activity failures a test provokes are logged; a failing test says why.
Runtime.install({ logger: new DefaultLogger('ERROR') });

export type MockActivities = Partial<PlatformActivities>;

/** Every call a test's activities received, in order: name, attempt and arguments. */
export interface Call {
  name: string;
  args: unknown[];
}

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
/** roro's workflows bundled once per process: bundling is most of a replay's or a worker's start-up. */
export const workflowBundle = () =>
  (bundle ??= bundleWorkflowCode({ workflowsPath, logger: Runtime.instance().logger }));

/** Temporal's time-skipping test server: timers and timeouts pass as soon as nothing else can happen. */
export async function timeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  if (!fs.existsSync(TEST_SERVER_LIB))
    throw new Error(`The Temporal test server is not installed in ${TEST_SERVER_LIB}: run scripts/setup.sh.`);
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: TEST_SERVER } },
  });
  await registerSearchAttributes(env);
  return env;
}

/** Starts the time-skipping server before a test file's tests and stops it after them. */
export function timeSkippingEnvForFile(): () => TestWorkflowEnvironment {
  let env: TestWorkflowEnvironment | undefined;
  before(async () => {
    env = await timeSkippingEnv();
  });
  after(async () => {
    await env?.teardown();
  });
  return () => env!;
}

/**
 * The Temporal CLI's dev server with roro's search attributes, for what the time-skipping server
 * does not implement: Schedules. Time is real there.
 */
export function devServerEnvForFile(): () => TestWorkflowEnvironment {
  let env: TestWorkflowEnvironment | undefined;
  before(async () => {
    env = await TestWorkflowEnvironment.createLocal({
      server: {
        executable: { type: 'existing-path', path: path.join(REPO_ROOT, '.venv', 'bin', 'temporal') },
        searchAttributes: [PROJECT_ATTR, KIND_ATTR],
      },
    });
  });
  after(async () => {
    await env?.teardown();
  });
  return () => env!;
}

/** deployProject upserts roro's search attributes; a server that does not know them fails the workflow task. */
export async function registerSearchAttributes(env: TestWorkflowEnvironment): Promise<void> {
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(Object.keys(SEARCH_ATTRIBUTES).map((name) => [name, KEYWORD])),
  });
}

let queues = 0;

/**
 * Runs `fn` while a worker with roro's workflows and the given activities polls a task queue of its
 * own; every activity call is appended to `calls`.
 */
export async function withWorker<T>(
  env: TestWorkflowEnvironment,
  activities: MockActivities,
  fn: (taskQueue: string) => Promise<T>,
  calls: Call[] = [],
): Promise<T> {
  const taskQueue = `test-${process.pid}-${++queues}`;
  const recorded = Object.fromEntries(
    Object.entries(activities).map(([name, impl]) => [
      name,
      (...args: unknown[]) => {
        calls.push({ name, args });
        return (impl as (...a: unknown[]) => unknown)(...args);
      },
    ]),
  );
  const worker = await Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: recorded,
  });
  return await worker.runUntil(fn(taskQueue));
}

/** How many times each activity was called. */
export function counts(calls: Call[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of calls) out[c.name] = (out[c.name] ?? 0) + 1;
  return out;
}

/** Resolves once `predicate` holds, checking every 50 ms; fails after `seconds` (real time). */
export async function until(
  what: string,
  predicate: () => boolean | Promise<boolean>,
  seconds = 30,
): Promise<void> {
  const end = Date.now() + seconds * 1000;
  while (!(await predicate())) {
    if (Date.now() > end) throw new Error(`timed out after ${seconds} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * An activity that never answers nor heartbeats: what a worker killed mid-activity looks like to the
 * server. It ends only when cancelled (the test worker's shutdown cancels what still runs).
 */
export const hang = (): Promise<never> => Context.current().cancelled;

/** Heartbeats like roro's waits and followers until the activity is cancelled or `done` settles. */
export async function heartbeatUntil<T>(done: Promise<T>): Promise<T> {
  const ctx = Context.current();
  const beat = setInterval(() => ctx.heartbeat(), 100);
  try {
    return await Promise.race([done, ctx.cancelled]);
  } finally {
    clearInterval(beat);
  }
}

/** An activity that heartbeats until it is cancelled. */
export const heartbeatUntilCancelled = (): Promise<never> =>
  heartbeatUntil(new Promise<never>(() => undefined));

/** A promise's outcome as a value, so a test asserts on a failure as on a result. */
export const settle = <T>(p: Promise<T>): Promise<{ value: T | undefined; error: unknown }> =>
  p.then(
    (value) => ({ value, error: undefined }),
    (error: unknown) => ({ value: undefined, error }),
  );

/** What failed a workflow: the ApplicationFailure or CancelledFailure inside WorkflowFailedError. */
export const causeOf = (err: unknown): unknown => (err as WorkflowFailedError).cause;

/**
 * Starts a workflow, waits until `ready` holds (an activity was reached), cancels it the way
 * `roro stop` does and returns its settled outcome.
 */
export async function startThenCancel(
  env: TestWorkflowEnvironment,
  workflowType: string,
  args: unknown[],
  taskQueue: string,
  what: string,
  ready: () => boolean,
): Promise<{ value: unknown; error: unknown }> {
  const handle = await env.client.workflow.start(workflowType, {
    args,
    workflowId: `${workflowType}-${taskQueue}`,
    taskQueue,
  });
  await until(what, ready);
  await handle.cancel();
  return settle(handle.result());
}

/** Runs a workflow to its end: its outcome, and how much workflow time (mostly skipped) passed. */
export async function executeTimed(
  env: TestWorkflowEnvironment,
  workflowType: string,
  options: { args: unknown[]; workflowId: string; taskQueue: string; retry?: RetryPolicy },
): Promise<{ value: unknown; error: unknown; workflowSeconds: number }> {
  const started = await env.currentTimeMs();
  const outcome = await settle(env.client.workflow.execute(workflowType, options));
  return { ...outcome, workflowSeconds: ((await env.currentTimeMs()) - started) / 1000 };
}
