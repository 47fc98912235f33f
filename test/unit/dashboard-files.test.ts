import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { installDashboard } from '../../gateway/dashboard-files.js';
import { refreshDashboard } from '../../gateway/dashboard-refresh.js';

test('the built dashboard is copied world-readable, and copied again only when the build changed', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'roro-dashboard-'));
  try {
    const src = path.join(tmp, 'build');
    fs.mkdirSync(path.join(src, 'assets'), { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(src, 'index.html'), '<p>one</p>', { mode: 0o600 });
    fs.writeFileSync(path.join(src, 'assets', 'a.js'), 'x', { mode: 0o600 });
    const dest = path.join(tmp, 'gateway-web');
    assert.equal(installDashboard(dest, src), true);
    assert.equal(fs.statSync(path.join(dest, 'assets')).mode & 0o777, 0o755);
    assert.equal(fs.statSync(path.join(dest, 'assets', 'a.js')).mode & 0o777, 0o644);
    fs.writeFileSync(path.join(dest, 'assets', 'marker'), '');
    assert.equal(installDashboard(dest, src), true);
    assert.ok(fs.existsSync(path.join(dest, 'assets', 'marker')), 'the same build is left in place');
    fs.writeFileSync(path.join(src, 'index.html'), '<p>two</p>');
    installDashboard(dest, src);
    assert.equal(fs.readFileSync(path.join(dest, 'index.html'), 'utf8'), '<p>two</p>');
    assert.ok(!fs.existsSync(path.join(dest, 'assets', 'marker')), 'a new build replaces the old one');
    assert.equal(installDashboard(path.join(tmp, 'other'), path.join(tmp, 'missing')), false);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test('a half-written build is not installed; a finished one is, by the refresh, without a restart', async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'roro-dashboard-'));
  try {
    const src = path.join(tmp, 'build');
    const dest = path.join(tmp, 'gateway-web');
    fs.mkdirSync(path.join(src, 'assets'), { recursive: true });
    const page = (js: string) => `<script type="module" src="/_roro/assets/${js}"></script>`;
    fs.writeFileSync(path.join(src, 'assets', 'index-1.js'), '1');
    fs.writeFileSync(path.join(src, 'index.html'), page('index-1.js'));
    assert.equal(installDashboard(dest, src), true);
    const stop = refreshDashboard(dest, (err) => assert.fail(String(err)), { everyMs: 20, src });
    try {
      // index.html names an asset not written yet: the installed build stays.
      fs.writeFileSync(path.join(src, 'index.html'), page('index-2.js'));
      await sleep(100);
      assert.equal(fs.readFileSync(path.join(dest, 'index.html'), 'utf8'), page('index-1.js'));
      fs.writeFileSync(path.join(src, 'assets', 'index-2.js'), '2');
      for (let i = 0; i < 100 && !fs.existsSync(path.join(dest, 'assets', 'index-2.js')); i++)
        await sleep(20);
      assert.equal(fs.readFileSync(path.join(dest, 'index.html'), 'utf8'), page('index-2.js'));
    } finally {
      stop();
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
