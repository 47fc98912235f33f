import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { homePaths } from '../../core/config.js';
import { testEnv } from './platform.js';

/** Debian's Chromium (Playwright's own browser download is not used). */
export const CHROMIUM = process.env.RORO_TEST_CHROMIUM || '/usr/bin/chromium';

/**
 * A headless Chromium that trusts roro's CA the way a user's browser would once the CA is installed:
 * in the NSS database of its HOME (`certutil` from libnss3-tools), never by ignoring certificate
 * errors. The HOME is a fresh temporary one, removed by close().
 */
export async function trustedChromium(): Promise<{ browser: Browser; close: () => Promise<void> }> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'roro-browser-'));
  const nssdb = path.join(home, '.pki', 'nssdb');
  fs.mkdirSync(nssdb, { recursive: true });
  const ca = path.join(homePaths(testEnv().home).tls, 'ca.crt');
  execFileSync('certutil', ['-d', `sql:${nssdb}`, '-N', '--empty-password']);
  execFileSync('certutil', ['-d', `sql:${nssdb}`, '-A', '-t', 'C,,', '-n', 'roro test CA', '-i', ca]);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    env: { ...process.env, HOME: home },
    args: ['--disable-dev-shm-usage'],
  });
  return {
    browser,
    close: async () => {
      await browser.close();
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}
