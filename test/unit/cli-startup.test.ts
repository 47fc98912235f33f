import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../../core/config.js';

// Prints, as the process exits, the npm packages it loaded (the CommonJS ones; the platform's
// clients are all CommonJS).
const PRELOAD = `process.on('exit', () => {
  const pkgs = Object.keys(require.cache)
    .map((f) => /node_modules\\/((?:@[^/]+\\/)?[^/]+)/.exec(f)?.[1])
    .filter(Boolean);
  require('fs').writeSync(2, '\\nLOADED ' + JSON.stringify([...new Set(pkgs)]) + '\\n');
});
`;

function packagesLoadedBy(args: string[]): string[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roro-cli-startup-'));
  try {
    const preload = path.join(dir, 'preload.cjs');
    fs.writeFileSync(preload, PRELOAD);
    const res = spawnSync(
      process.execPath,
      ['--require', preload, path.join(REPO_ROOT, 'dist', 'cli', 'index.js'), ...args],
      {
        encoding: 'utf8',
        env: { ...process.env, RORO_TOKEN: 'roro_x', RORO_PROJECT: 'p', XDG_CONFIG_HOME: dir },
        timeout: 60_000,
      },
    );
    const line = res.stderr.split('\n').find((l) => l.startsWith('LOADED '));
    assert.ok(line, `no module list in: ${res.stderr}`);
    return JSON.parse(line.slice('LOADED '.length)) as string[];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('roro run loads no platform client: a burst of 100 CLIs does not pay for Temporal, PostgreSQL or Docker', () => {
  // The server answers nothing here (port 9 is discard): what matters is what the CLI loaded to try.
  const loaded = packagesLoadedBy(['run', '--url', 'http://127.0.0.1:9', 'python', '-c', 'print(1)']);
  for (const heavy of ['@temporalio/client', '@temporalio/proto', 'pg', 'dockerode', 'protobufjs'])
    assert.ok(!loaded.includes(heavy), `roro run loaded ${heavy}: ${loaded.join(', ')}`);
});

test('roro server still loads the platform when it is the command', () => {
  const loaded = packagesLoadedBy(['server', 'nonsense']);
  assert.ok(loaded.includes('pg'), loaded.join(', '));
});
