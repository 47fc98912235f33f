import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RoroError } from '../../core/errors.js';
import type { Job, JobLogLine } from '../../core/api-types.js';
import { ApiError, parseRetryAfter } from '../../cli/api-error.js';
import { Backoff, isRefusedUnavailable, isTransient, withRetry, type RetryPolicy } from '../../cli/retry.js';
import { readJobLog } from '../../cli/job-log.js';

const POLICY: RetryPolicy = { baseMs: 500, maxMs: 10_000, budgetMs: 60_000 };

/** A clock the test moves by hand, and a fixed "random" draw. */
function fakeClock(random = 1) {
  let t = 0;
  return { now: () => t, random: () => random, advance: (ms: number) => (t += ms) };
}

const unavailable = () =>
  new ApiError('The database (PostgreSQL) is unreachable.', {
    status: 503,
    code: 'unavailable',
    retryAfterMs: 2000,
  });

test('back-off doubles from the base delay up to the cap, half of it random', () => {
  const clock = fakeClock(1);
  const b = new Backoff(POLICY, clock);
  assert.deepEqual(
    [1, 2, 3, 4, 5, 6, 7].map(() => b.next()),
    [500, 1000, 2000, 4000, 8000, 10_000, 10_000],
  );
  const low = new Backoff(POLICY, fakeClock(0));
  assert.deepEqual([low.next(), low.next(), low.next()], [250, 500, 1000]);
});

test("back-off waits at least the server's Retry-After, never more than the cap", () => {
  const b = new Backoff(POLICY, fakeClock(0));
  assert.equal(b.next(2000), 2000);
  assert.equal(b.next(60_000), 10_000);
});

test('back-off gives up once failures have lasted the budget, and starts over after a reset', () => {
  const clock = fakeClock(1);
  const b = new Backoff(POLICY, clock);
  assert.equal(b.next(), 500);
  clock.advance(59_000);
  assert.equal(b.next(), 1000, 'the last delay is cut to what is left of the budget');
  clock.advance(1000);
  assert.equal(b.next(), undefined);
  b.reset();
  assert.equal(b.next(), 500);
  assert.equal(b.outageMs(), 0);
});

test('what counts as a blip: no answer, a 5xx, a broken stream; not a refusal or the CLI’s own errors', () => {
  assert.ok(isTransient(new RoroError('Cannot reach the roro API.', { code: 'unreachable' })));
  assert.ok(isTransient(unavailable()));
  assert.ok(isTransient(new ApiError('Internal server error.', { status: 500, code: 'internal' })));
  assert.ok(isTransient(new RoroError('The stream broke.', { code: 'stream_interrupted' })));
  assert.ok(isTransient(new TypeError('terminated')));
  assert.ok(isTransient(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })));
  assert.ok(!isTransient(new ApiError('Project x not found.', { status: 404, code: 'not_found' })));
  assert.ok(!isTransient(new ApiError('A deploy is running.', { status: 409, code: 'deploy_running' })));
  assert.ok(
    !isTransient(new RoroError('Notebook n1 failed.', { code: 'notebook_failed' })),
    'status 500 by default',
  );
  assert.ok(!isTransient(new TypeError("Cannot read properties of undefined (reading 'x')")));
  assert.ok(isRefusedUnavailable(unavailable()));
  assert.ok(!isRefusedUnavailable(new ApiError('Internal server error.', { status: 500, code: 'internal' })));
  assert.ok(!isRefusedUnavailable(new RoroError('Cannot reach the roro API.', { code: 'unreachable' })));
});

test('Retry-After in seconds or as an HTTP date', () => {
  assert.equal(parseRetryAfter('2'), 2000);
  assert.equal(parseRetryAfter('Thu, 01 Jan 1970 00:00:05 GMT', 1000), 4000);
  assert.equal(parseRetryAfter('soon'), undefined);
  assert.equal(parseRetryAfter(null), undefined);
});

test('withRetry tries again after blips, honours Retry-After, and reports the recovery', async () => {
  const waits: number[] = [];
  let recovered: number | undefined;
  let calls = 0;
  const value = await withRetry(
    async () => {
      if (++calls < 3) throw unavailable();
      return 'ok';
    },
    {
      backoff: new Backoff(POLICY, fakeClock(0)),
      wait: async (ms) => waits.push(ms),
      onRecover: (ms) => (recovered = ms),
    },
  );
  assert.equal(value, 'ok');
  assert.deepEqual(waits, [2000, 2000]);
  assert.equal(recovered, 0);
});

test('withRetry rethrows a refusal at once, and the last blip once the budget is spent', async () => {
  const notFound = new ApiError('Job j1 not found.', { status: 404, code: 'not_found' });
  let calls = 0;
  await assert.rejects(
    withRetry(
      async () => {
        calls++;
        throw notFound;
      },
      { wait: async () => undefined },
    ),
    (err) => err === notFound,
  );
  assert.equal(calls, 1);
  const clock = fakeClock(1);
  await assert.rejects(
    withRetry(
      async () => {
        throw unavailable();
      },
      { backoff: new Backoff(POLICY, clock), wait: async (ms) => clock.advance(ms) },
    ),
    /PostgreSQL/,
  );
  assert.ok(clock.now() >= POLICY.budgetMs);
});

const job = (status: Job['status']): Job => ({
  id: 'j1',
  status,
  command: ['echo'],
  size: 'S1',
  attempt: 1,
  logDropped: 0,
  createdAt: '2026-01-01T00:00:00Z',
  ...(status === 'running' ? {} : { exitCode: 0 }),
});
const line = (seq: number): JobLogLine => ({
  seq,
  ts: '2026-01-01T00:00:00Z',
  stream: 'stdout',
  line: `line ${seq}`,
});

test('a followed job log resumes after blips from the last printed line: every line once, in order', async () => {
  // The server's log grows by two lines per request; some requests fail in the ways a blip does.
  const failures = [
    unavailable(),
    new TypeError('terminated'),
    new ApiError('Internal server error.', { status: 500, code: 'internal' }),
  ];
  let written = 0;
  let calls = 0;
  const asked: number[] = [];
  const page = async (after: number, limit: number) => {
    calls++;
    written = Math.min(20, written + 2);
    asked.push(after);
    if (calls % 2 === 0 && failures.length) throw failures.shift();
    const status = written === 20 ? 'success' : 'running';
    const lines = [];
    for (let s = after + 1; s <= written && lines.length < limit; s++) lines.push(line(s));
    return { job: job(status), lines };
  };
  const printed: string[] = [];
  const end = await readJobLog(page, {
    follow: true,
    limit: 4,
    print: (l) => printed.push(l.line),
    wait: async () => undefined,
    retry: { backoff: new Backoff(POLICY, fakeClock(0)), wait: async () => undefined },
  });
  assert.equal(end.status, 'success');
  assert.deepEqual(
    printed,
    Array.from({ length: 20 }, (_, i) => `line ${i + 1}`),
  );
  assert.equal(failures.length, 0, 'every kind of blip happened');
  assert.ok(
    asked.every((a, i) => i === 0 || a >= asked[i - 1]!),
    'the offset never goes back',
  );
});

test('a job log without follow fails on the first error rather than waiting', async () => {
  await assert.rejects(
    readJobLog(
      async () => {
        throw unavailable();
      },
      { follow: false, print: () => undefined, retry: { retryIf: () => false } },
    ),
    /PostgreSQL/,
  );
});
