import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { roro, testEnv } from '../helpers/platform.js';

const execFileP = promisify(execFile);

/** What a browser shows: Chromium, headless, with the NSS database of `home` and no flag about certificates. */
async function chromiumPage(home: string, url: string): Promise<string> {
  const { stdout } = await execFileP(
    'chromium',
    [
      ...['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-sync'],
      ...['--disable-background-networking', '--disable-component-update', '--dump-dom', url],
    ],
    { env: { ...process.env, HOME: home }, timeout: 60_000 },
  ).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }));
  return stdout;
}

/** curl with only the system store to go by. */
async function curlStatus(url: string): Promise<string> {
  const { stdout } = await execFileP('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', url]).catch(
    (err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }),
  );
  return stdout;
}

test(
  'roro server trust puts the CA where curl, Chromium and Firefox look, and untrust takes it out',
  { timeout: 300_000 },
  async () => {
    const env = testEnv();
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'roro-trust-'));
    const firefox = path.join(home, '.mozilla', 'firefox', 'x1.default-release');
    fs.mkdirSync(firefox, { recursive: true });
    await execFileP('certutil', ['-d', `sql:${firefox}`, '-N', '--empty-password']);
    const url = `https://roro--canary.localhost:${env.ports.gatewayHttps}/`;
    const run = (action: string) => roro(['server', action, '--json'], { env: { HOME: home } });
    const nss = async (db: string) =>
      (await execFileP('certutil', ['-d', `sql:${db}`, '-L'])).stdout.match(/roro local CA \w+/g) ?? [];
    try {
      assert.doesNotMatch(await chromiumPage(home, url), /roro canary ok/, 'Chromium trusts no roro CA yet');

      const first = await run('trust');
      assert.equal(first.code, 0, first.stderr);
      const steps = (JSON.parse(first.stdout) as { steps: { store: string; outcome: string }[] }).steps;
      assert.deepEqual(
        steps.map((s) => s.outcome),
        ['added', 'added', 'added'],
        first.stdout,
      );
      assert.match(steps[1]!.store, /\.pki\/nssdb/);
      assert.equal((await nss(path.join(home, '.pki', 'nssdb'))).length, 1);
      assert.equal((await nss(firefox)).length, 1);
      assert.equal(await curlStatus(url), '200');
      assert.match(await chromiumPage(home, url), /roro canary ok/);

      const again = await run('trust');
      assert.deepEqual(
        (JSON.parse(again.stdout) as { steps: { outcome: string }[] }).steps.map((s) => s.outcome),
        ['present', 'present', 'present'],
      );
    } finally {
      const off = await run('untrust');
      assert.equal(off.code, 0, off.stderr);
      assert.deepEqual(
        (JSON.parse(off.stdout) as { steps: { outcome: string }[] }).steps.map((s) => s.outcome),
        ['removed', 'removed', 'removed'],
      );
    }
    assert.deepEqual(await nss(path.join(home, '.pki', 'nssdb')), []);
    assert.deepEqual(await nss(firefox), []);
    assert.equal(await curlStatus(url), '000');
    assert.doesNotMatch(await chromiumPage(home, url), /roro canary ok/);
    fs.rmSync(home, { recursive: true, force: true });
  },
);
