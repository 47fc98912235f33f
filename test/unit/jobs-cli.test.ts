import { test } from 'node:test';
import assert from 'node:assert/strict';
import { commandText, jobRows, parseRunArgv } from '../../cli/commands/jobs.js';
import { duration } from '../../cli/output.js';
import { until } from '../../cli/commands/tasks.js';

test("roro run: options before CMD are roro's, everything after belongs to CMD", () => {
  assert.deepEqual(parseRunArgv(['run', '-s', 'S2', 'python', 'train.py', '-s', '5', '--json']), {
    json: false,
    size: 'S2',
    command: ['python', 'train.py', '-s', '5', '--json'],
  });
  assert.deepEqual(
    parseRunArgv(['--url', 'http://x', 'run', '--size=M1', '--json', '--project', 'p1', 'ls', '-la']),
    {
      json: true,
      size: 'M1',
      project: 'p1',
      command: ['ls', '-la'],
    },
  );
  assert.deepEqual(parseRunArgv(['run', '--', '--weird-program', '--help']).command, [
    '--weird-program',
    '--help',
  ]);
  assert.deepEqual(parseRunArgv(['run']).command, []);
  assert.throws(() => parseRunArgv(['run', '-x', 'ls']), /Unknown option -x before the command/);
  assert.throws(() => parseRunArgv(['run', '-s']), /-s needs a value/);
});

test('ps rows: duration, exit code in the status, task scripts shown as written', () => {
  assert.equal(duration('2026-01-01T00:00:00Z', '2026-01-01T00:00:12Z'), '12s');
  assert.equal(duration('2026-01-01T00:00:00Z', '2026-01-01T00:01:05Z'), '1m 05s');
  assert.equal(duration('2026-01-01T00:00:00Z', '2026-01-01T02:03:00Z'), '2h 03m');
  assert.equal(commandText({ command: ['python', 'a b.py', '--n=3'] }), 'python "a b.py" --n=3');
  assert.equal(
    commandText({ command: ['/bin/sh', '-c', 'python train.py'], task: 'nightly' }),
    '[nightly] python train.py',
  );
  const now = Date.parse('2026-01-01T00:10:00Z');
  const rows = jobRows(
    [
      {
        id: 'j1',
        status: 'failed',
        exitCode: 2,
        command: ['false'],
        size: 'S1',
        attempt: 1,
        logDropped: 0,
        createdAt: '2026-01-01T00:00:00Z',
        startedAt: '2026-01-01T00:00:01Z',
        finishedAt: '2026-01-01T00:00:03Z',
      },
    ],
    now,
  );
  assert.deepEqual(rows, [['j1', 'failed (exit 2)', '10 minutes ago', '2s', 'S1', 'false']]);
  assert.equal(until('2026-01-01T00:15:00Z', now), 'in 5 minutes');
});
