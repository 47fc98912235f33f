import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { homePaths, logPath, parsePlatformEnv } from '../../core/config.js';
import type { Component } from '../../platform/component.js';
import { rotatedFiles } from '../../platform/log-reader.js';
import { readState } from '../../platform/state.js';
import { Supervisor } from '../../platform/supervisor.js';

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'roro-supervisor-'));
after(() => fs.rmSync(home, { recursive: true, force: true }));

/** A component that prints 2000 lines, its last words on stderr, and dies before it is ever ready. */
const crasher: Component = {
  name: 'crasher',
  url: 'nowhere',
  command: () => ({
    cmd: '/bin/sh',
    args: [
      '-c',
      'i=0; while [ $i -lt 2000 ]; do echo "out $i"; i=$((i+1)); done; echo "last words" >&2; exit 3',
    ],
  }),
  ready: async () => false,
  readyTimeoutMs: 60_000,
};

test('a component that crashes leaves its last lines in its log, which rotates at the cap', async () => {
  const env = parsePlatformEnv({ RORO_HOME: home, RORO_LOG_MAX_BYTES: '4096', RORO_LOG_FILES: '2' });
  for (const dir of [homePaths(home).run, homePaths(home).logs]) fs.mkdirSync(dir, { recursive: true });
  const supervisor = new Supervisor(env, [crasher]);
  assert.equal(await supervisor.start(), false);

  const state = readState(home);
  assert.equal(state?.failure?.component, 'crasher');
  assert.match(state?.failure?.message ?? '', /exited during start \(exit code 3\)/);
  // The failure is recorded only once the output is in the log, so `roro server up` can quote it.
  const file = logPath(home, 'crasher');
  const text = fs.readFileSync(file, 'utf8');
  assert.match(text, /^last words$/m);
  assert.match(text, /^out 1999$/m);

  assert.deepEqual(rotatedFiles(file), [`${file}.1`, `${file}.2`]);
  const kept = [`${file}.2`, `${file}.1`, file].map((f) => fs.readFileSync(f, 'utf8'));
  for (const k of kept) assert.ok(Buffer.byteLength(k) <= 4096);
  const outLines = kept
    .join('')
    .split('\n')
    .filter((l) => l.startsWith('out '));
  const first = Number(outLines[0]!.slice(4));
  assert.ok(first > 0, 'the oldest lines were dropped with the oldest file');
  assert.deepEqual(
    outLines,
    Array.from({ length: 2000 - first }, (_, i) => `out ${first + i}`),
  );
  assert.equal(fs.readdirSync(homePaths(home).run).filter((f) => f.endsWith('.fifo')).length, 0);
});
