import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { roro, testEnv } from './platform.js';

/** Debian's Chromium (Playwright's own browser download is not used). */
export const CHROMIUM = process.env.RORO_TEST_CHROMIUM || '/usr/bin/chromium';

/** `roro server trust` or `untrust` for the user whose HOME is `home`. */
async function setTrust(action: 'trust' | 'untrust', home: string): Promise<void> {
  const res = await roro(['server', action], { env: { HOME: home } });
  if (res.code !== 0) throw new Error(`roro server ${action} failed: ${res.stderr}`);
}

/**
 * A headless Chromium that trusts roro's CA the way a user's does after `roro server trust`, which
 * puts it in the NSS database of the user's HOME (and the system store), never by ignoring
 * certificate errors. The HOME is a fresh temporary one; close() untrusts and removes it.
 */
export async function trustedChromium(): Promise<{ browser: Browser; close: () => Promise<void> }> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'roro-browser-'));
  await setTrust('trust', home);
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
      await setTrust('untrust', home);
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}

/** The dashboard's page, at the gateway's root. */
export const dashboard = () => `${testEnv().gatewayUrl}/`;

/** Signs in on the dashboard's form in a new page of `context`; answers once the projects page shows. */
export async function signIn(context: BrowserContext, email: string, password: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(dashboard());
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Projects', level: 1 }).waitFor();
  return page;
}
