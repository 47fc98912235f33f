import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BrowserContext } from 'playwright-core';
import { api, newUser, testEnv, unique } from '../helpers/platform.js';
import { deployAndWait, projectCopy } from '../helpers/deploy.js';
import { signIn, trustedChromium } from '../helpers/browser.js';

/** What the hostile page (test/fixtures/projects/hostile/page.py) managed, one `what:result` per line. */
async function hostileVisit(context: BrowserContext, url: string): Promise<string> {
  const page = await context.newPage();
  await page.goto(url);
  await page.waitForFunction('document.title === "done"', undefined, { timeout: 30_000 });
  const out = await page.locator('#out').innerText();
  await page.close();
  return out;
}

test(
  "a project's page cannot act as the dashboard's signed-in user, by path or by host",
  { timeout: 600_000 },
  async (t) => {
    const attacker = await newUser();
    const project = unique('hostile');
    assert.equal(
      (await api('POST', '/v1/projects', { token: attacker.token, body: { name: project } })).status,
      201,
    );
    t.after(() => api('DELETE', `/v1/projects/${project}`, { token: attacker.token }));
    const deployed = await deployAndWait(attacker.token, project, projectCopy('hostile', project));
    assert.equal(deployed.final.kind, 'done', JSON.stringify(deployed.final));

    const victim = await newUser();
    const { browser, close } = await trustedChromium();
    t.after(close);
    const context = await browser.newContext();
    await signIn(context, victim.email, victim.password);
    const sessionBefore = (await context.cookies()).find((c) => c.name === 'roro_session')?.value;
    assert.ok(sessionBefore);

    const env = testEnv();
    const victimProjects = async () =>
      (await api('GET', '/v1/projects', { token: victim.token })).body.projects.map(
        (p: { name: string }) => p.name,
      );

    await t.test("by path, on the dashboard's own origin, the page is sandboxed", async () => {
      const name = unique('pwned');
      const out = await hostileVisit(context, `${env.gatewayUrl}/${project}/?name=${name}`);
      assert.doesNotMatch(out, new RegExp(victim.email.replace(/[.]/g, '\\.')), out);
      assert.match(out, /^session:blocked$/m, out);
      assert.match(out, /^cookie:blocked$/m, out);
      assert.deepEqual(await victimProjects(), [], 'the page created a project as the victim');
    });

    await t.test('by host, a separate origin, it reads nothing of the dashboard either', async () => {
      const name = unique('pwned');
      const origin = encodeURIComponent(env.gatewayUrl);
      const out = await hostileVisit(
        context,
        `https://${project}.${env.domain}:${env.ports.gatewayHttps}/?api=${origin}&name=${name}`,
      );
      assert.match(out, /^session:blocked$/m, out);
      assert.deepEqual(
        (await victimProjects()).filter((p: string) => p.startsWith(name)),
        [],
      );
    });

    await t.test("the page's cookies are kept, but none that the dashboard's API would read", async () => {
      await hostileVisit(context, `${env.gatewayUrl}/${project}/toss`);
      const cookies = await context.cookies();
      assert.ok(
        cookies.some((c) => c.name === 'app_pref'),
        `the page's own cookie was not kept: ${cookies.map((c) => c.name).join()}`,
      );
      const platform = cookies.filter((c) => c.name === '' || /roro_/.test(c.name + c.value));
      assert.deepEqual(platform.map((c) => `${c.name} ${c.path}`).sort(), [
        'roro_csrf /_roro/',
        'roro_session /_roro/',
      ]);
      assert.equal(platform.find((c) => c.name === 'roro_session')?.value, sessionBefore);
      // The dashboard still works as the victim.
      const page = await context.newPage();
      await page.goto(`${env.gatewayUrl}/`);
      await page.getByText(victim.email).first().waitFor();
      await page.close();
    });
  },
);
