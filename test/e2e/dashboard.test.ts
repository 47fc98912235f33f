import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Page } from 'playwright-core';
import { REPO_ROOT } from '../../core/config.js';
import { api, newUser, roro, tempConfigDir, testEnv, unique } from '../helpers/platform.js';
import { deployAndWait, gatewayRequest, projectCopy } from '../helpers/deploy.js';
import { dashboard, signIn, trustedChromium } from '../helpers/browser.js';

/** Written by every run (git-ignored); README shows two of them, copied into docs/. */
const SHOTS = path.join(REPO_ROOT, 'test-output', 'screenshots');
const WIDTHS = [1280, 390];
/** A file put in the notebooks volume, which Jupyter's file browser must list. */
const NOTE = 'for-jupyter.txt';

/** Saves models the way a training job does: three versions of `scores`, each with a Test-Score. */
const TRAIN = `import roro
repo = roro.get_current_project().get_model_repository("scores")
for i, score in enumerate(["0.71", "0.83", "0.79"]):
    image = repo.new_model_image({"weights": [i, i + 1]})
    image["Test-Score"] = score
    image["Rows"] = str(1000 * (i + 1))
    image.save(comment="run %d" % i)
    print("saved", image.version, flush=True)
`;

async function waitForJob(token: string, project: string, id: string) {
  for (let i = 0; i < 240; i++) {
    const res = await api('GET', `/v1/projects/${project}/jobs/${id}`, { token });
    if (res.body.job.status !== 'running') return res.body.job;
    await sleep(500);
  }
  throw new Error(`job ${id} did not end within 2 minutes`);
}

/** A full-page screenshot at each width; at 390 px nothing may stick out sideways (tables scroll inside). */
async function shoot(page: Page, name: string) {
  fs.mkdirSync(SHOTS, { recursive: true });
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: 900 });
    await page.waitForTimeout(100);
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    assert.ok(overflow <= 0, `${name} at ${width} px is ${overflow} px wider than the window`);
    await page.screenshot({ path: path.join(SHOTS, `${name}-${width}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

test(
  'the dashboard in Chromium: sign in, deploy progress, rollback, live job log, stop, tasks, models, config, volumes, non-members',
  {
    timeout: 900_000,
  },
  async (t) => {
    const owner = await newUser();
    const project = unique('dash');
    assert.equal(
      (await api('POST', '/v1/projects', { token: owner.token, body: { name: project } })).status,
      201,
    );
    const dir = projectCopy('hello', project, (d) => {
      fs.appendFileSync(
        path.join(d, 'roro.yml'),
        'tasks:\n  - name: nightly\n    command: python -c "print(1)"\n    when: every day at 03:00\n',
      );
      fs.writeFileSync(path.join(d, 'train.py'), TRAIN);
      fs.writeFileSync(path.join(d, 'secret.txt'), 'a file in the project\n');
    });
    const first = await deployAndWait(owner.token, project, dir);
    assert.equal(first.final.kind, 'done', JSON.stringify(first.final));
    const train = await api('POST', `/v1/projects/${project}/jobs`, {
      token: owner.token,
      body: { command: ['python', 'train.py'] },
    });
    assert.equal(train.status, 202, JSON.stringify(train.body));
    assert.equal((await waitForJob(owner.token, project, train.body.job.id)).status, 'success');
    await api('PATCH', `/v1/projects/${project}/config`, {
      token: owner.token,
      body: { set: { API_KEY: 'k-123-visible-on-demand' }, restart: false },
    });

    const { browser, close } = await trustedChromium();
    t.after(close);
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    let page!: Page;

    await t.test(
      'sign in with labelled fields reached by keyboard; the session cookie is HttpOnly, Secure, SameSite=Strict',
      async () => {
        page = await context.newPage();
        await page.goto(dashboard());
        await page.getByRole('heading', { name: 'Sign in to roro' }).waitFor();
        await shoot(page, 'sign-in');
        await page.keyboard.press('Tab');
        await page.keyboard.type(owner.email);
        await page.keyboard.press('Tab');
        await page.keyboard.type(owner.password);
        await page.keyboard.press('Enter');
        await page.getByRole('heading', { name: 'Projects', level: 1 }).waitFor();
        const session = (await context.cookies()).find((c) => c.name === 'roro_session');
        assert.ok(session);
        assert.equal(session.httpOnly, true);
        assert.equal(session.secure, true);
        assert.equal(session.sameSite, 'Strict');
        assert.equal(session.path, '/_roro/');
        await page.keyboard.press('Tab');
        assert.equal(await page.evaluate<string>('document.activeElement?.textContent'), 'Skip to content');
        await shoot(page, 'projects');
      },
    );

    await t.test('a deploy run from the CLI shows its phases live on the overview', async () => {
      await page.getByRole('link', { name: project }).click();
      await page.getByRole('heading', { name: 'Services' }).waitFor();
      await page.getByRole('table', { name: 'Services' }).getByText('running', { exact: true }).waitFor();
      const cfg = tempConfigDir();
      await roro(['login', '--email', owner.email, '--password-stdin'], {
        configDir: cfg,
        input: owner.password,
      });
      fs.writeFileSync(
        path.join(dir, 'greet.py'),
        fs.readFileSync(path.join(dir, 'greet.py'), 'utf8').replace('"v1"', '"v2"'),
      );
      const deploy = roro(['deploy'], { configDir: cfg, cwd: dir, timeoutMs: 300_000 });
      const events = page.getByRole('list', { name: /Events of deploy/ });
      await events
        .getByText(/Building/)
        .first()
        .waitFor({ timeout: 60_000 });
      const cli = await deploy;
      assert.equal(cli.code, 0, cli.stderr);
      await events.locator('li.event-done').waitFor({ timeout: 60_000 });
      await page
        .getByRole('table', { name: 'Services' })
        .getByRole('cell', { name: 'v2', exact: true })
        .waitFor({ timeout: 30_000 });
      const history = await page
        .getByRole('link', { name: 'Deploy history in the Temporal Web UI' })
        .getAttribute('href');
      assert.match(history ?? '', new RegExp(`query=RoroProject%3D%22${project}%22`));
      await shoot(page, 'overview');
    });

    await t.test('roll back, confirmed, and see the release change', async () => {
      await page.getByRole('link', { name: 'Releases' }).click();
      const table = page.getByRole('table', { name: 'Releases' });
      await table.getByText('v2 current').waitFor();
      await page.getByRole('button', { name: 'Roll back to v1' }).focus();
      await page.keyboard.press('Enter');
      const confirm = page.getByRole('alertdialog');
      await confirm.getByText(`Roll ${project} back to release v1?`).waitFor();
      await shoot(page, 'releases-confirm');
      // The confirm button takes the focus: Enter rolls back.
      await page.keyboard.press('Enter');
      await table.getByText('v3 current').waitFor({ timeout: 120_000 });
      await table.getByText('rollback to v1').waitFor();
      assert.equal((await gatewayRequest(`/${project}/hello`, { body: {} })).body.version, 'v1');
      await shoot(page, 'releases');
    });

    await t.test('run a job and see its lines arrive live, over one event stream; stop another', async () => {
      const logRequests: string[] = [];
      page.on('request', (r) => {
        if (/\/jobs\/[^/]+\/logs/.test(r.url())) logRequests.push(new URL(r.url()).pathname);
      });
      await page.getByRole('link', { name: 'Jobs' }).click();
      await page
        .getByLabel('Command')
        .fill(`python -c "import time; [(print('tick', i, flush=True), time.sleep(1)) for i in range(6)]"`);
      await page.getByRole('button', { name: 'Run job' }).click();
      const log = page.getByTestId('job-log');
      await log.getByText('tick 0').waitFor({ timeout: 60_000 });
      // The first line is on screen while the job still runs.
      assert.equal(await page.getByText('following…').count(), 1);
      assert.equal(await log.getByText('tick 5').count(), 0);
      await log.getByText('tick 5').waitFor({ timeout: 60_000 });
      await page.getByText('Ended success (exit code 0)').waitFor({ timeout: 30_000 });
      assert.equal((await log.innerText()).trim().split('\n').length, 6);
      assert.ok(
        logRequests.length >= 1 && logRequests.every((p) => p.endsWith('/logs/stream')),
        logRequests.join(),
      );
      await shoot(page, 'jobs');
      // Stop one: the job ends cancelled, and its log's stream says so.
      await page.getByLabel('Command').fill('sleep 300');
      await page.getByRole('button', { name: 'Run job' }).click();
      await page.getByRole('button', { name: /^Stop job / }).click();
      await page.getByText(/^Ended cancelled/).waitFor({ timeout: 90_000 });
    });

    await t.test('pause a task, then resume it', async () => {
      await page.getByRole('link', { name: 'Tasks' }).click();
      await page.getByRole('button', { name: 'Pause nightly' }).click();
      await page.getByRole('button', { name: 'Resume nightly' }).waitFor();
      const tasks = await api('GET', `/v1/projects/${project}/tasks`, { token: owner.token });
      assert.equal(tasks.body.tasks.find((x: { name: string }) => x.name === 'nightly').paused, true);
      await shoot(page, 'tasks');
    });

    await t.test(
      'tag a model version, move the tag, and see the metric plot with one point per version',
      async () => {
        await page.getByRole('link', { name: 'Models' }).click();
        await page.getByRole('link', { name: 'scores' }).click();
        const plot = page.getByRole('img', { name: /^Test-Score across 3 versions/ });
        await plot.waitFor();
        const points = await page
          .locator('.metric-point')
          .evaluateAll((els) =>
            els.map((e) => [e.getAttribute('data-version'), e.getAttribute('data-value')]),
          );
        assert.deepEqual(points, [
          ['1', '0.71'],
          ['2', '0.83'],
          ['3', '0.79'],
        ]);
        const versions = page.getByRole('table', { name: /Versions of scores/ });
        const row = (v: number) =>
          versions.getByRole('row').filter({ has: page.getByRole('cell', { name: `v${v}`, exact: true }) });
        await page.getByLabel('Tag').fill('prod');
        await page.getByLabel('Version', { exact: true }).selectOption('2');
        await page.getByRole('button', { name: 'Set tag' }).click();
        await row(2).getByText('prod').waitFor();
        await page.getByLabel('Tag').fill('prod');
        await page.getByLabel('Version', { exact: true }).selectOption('3');
        await page.getByRole('button', { name: 'Set tag' }).click();
        await row(3).getByText('prod').waitFor();
        assert.equal(await row(2).getByText('prod').count(), 0);
        assert.match(await row(1).innerText(), /job \S+, release v1/);
        await page.getByLabel('Plot field').selectOption('Rows');
        await page.getByRole('img', { name: /^Rows across 3 versions/ }).waitFor();
        await page.getByLabel('Plot field').selectOption('Test-Score');
        await shoot(page, 'models');
      },
    );

    await t.test('config values are shown on demand; volumes and notebooks list', async () => {
      await page.getByRole('link', { name: 'Config' }).click();
      await page.getByRole('button', { name: 'Reveal API_KEY' }).click();
      await page.getByText('k-123-visible-on-demand').waitFor();
      await shoot(page, 'config');
      await page.getByRole('link', { name: 'Volumes' }).click();
      await page.getByRole('link', { name: 'data', exact: true }).click();
      await page.getByLabel('File to upload here').setInputFiles({
        name: 'hello.txt',
        mimeType: 'text/plain',
        buffer: Buffer.from('uploaded from the browser\n'),
      });
      await page.getByRole('button', { name: 'Upload', exact: true }).click();
      const download = page.getByRole('link', { name: 'Download hello.txt' });
      await download.waitFor();
      const [file] = await Promise.all([page.waitForEvent('download'), download.click()]);
      assert.equal(fs.readFileSync((await file.path())!, 'utf8'), 'uploaded from the browser\n');
      await shoot(page, 'volumes');
    });

    await t.test("start a notebook, open Jupyter at the notebook's own host, stop it", async () => {
      const upload = await fetch(
        `${testEnv().apiUrl}/v1/projects/${project}/volumes/notebooks/files?name=${NOTE}`,
        {
          method: 'PUT',
          headers: { authorization: `Bearer ${owner.token}`, 'content-type': 'application/octet-stream' },
          body: 'a file in the notebooks volume\n',
        },
      );
      assert.equal(upload.status, 201, await upload.text());
      await page.getByRole('link', { name: 'Notebooks' }).click();
      await page.getByRole('button', { name: 'Start a notebook' }).click();
      // The page asks again while the session starts; the link appears once Jupyter answers.
      const open = page.getByRole('link', { name: /^Open notebook / });
      await open.waitFor({ timeout: 180_000 });
      const { domain, ports } = testEnv();
      const href = new URL((await open.getAttribute('href')) ?? '');
      assert.match(href.hostname, new RegExp(`^${project}--nb-[a-z0-9]+\\.${domain.replace(/\./g, '\\.')}$`));
      assert.equal(href.port, String(ports.gatewayHttps));
      await shoot(page, 'notebooks');
      const [jupyter] = await Promise.all([context.waitForEvent('page'), open.click()]);
      // Jupyter's file browser lists the volume through Jupyter's own API, on its own origin.
      await jupyter.getByText(NOTE, { exact: true }).first().waitFor({ timeout: 60_000 });
      assert.equal(new URL(jupyter.url()).hostname, href.hostname);
      await jupyter.screenshot({ path: path.join(SHOTS, 'jupyter-1280.png') });
      await jupyter.close();
      await page.getByRole('button', { name: /^Stop notebook / }).click();
      await open.waitFor({ state: 'detached', timeout: 60_000 });
      await page.getByRole('table', { name: 'Notebook sessions' }).getByText('stopped').first().waitFor();
    });

    await t.test('a non-member sees the project exactly like a missing one', async () => {
      const other = await newUser();
      const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const outsider = await signIn(ctx, other.email, other.password);
      const problem = async (name: string) => {
        await outsider.goto(`${dashboard()}#/projects/${name}`);
        const alert = outsider.getByRole('alert').filter({ hasText: name });
        await alert.waitFor();
        const text = await alert.innerText();
        return text.replaceAll(name, 'NAME');
      };
      const missing = unique('missing');
      const refused = await problem(project);
      assert.equal(refused, await problem(missing));
      assert.match(refused, /not found/i);
      assert.equal(await outsider.getByRole('link', { name: 'Jobs' }).count(), 0);
      await outsider.goto(`${dashboard()}#/projects/${project}`);
      await outsider.getByRole('alert').waitFor();
      await shoot(outsider, 'not-a-member');
      await ctx.close();
    });

    await t.test(
      'an admin sees the users page and removes a user, confirmed, deciding their projects',
      async () => {
        const doomed = await newUser();
        const theirs = unique('doomed');
        assert.equal(
          (await api('POST', '/v1/projects', { token: doomed.token, body: { name: theirs } })).status,
          201,
        );
        const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
        const adminEmail = process.env.RORO_ADMIN_EMAIL || 'admin@roro.local';
        const admin = await signIn(ctx, adminEmail, adminPassword());
        await admin.getByRole('link', { name: 'Users' }).click();
        const users = admin.getByRole('table', { name: 'Users' });
        await users.getByRole('cell', { name: owner.email, exact: true }).waitFor();
        // Nobody removes their own account (the API refuses it as well).
        assert.equal(await admin.getByRole('button', { name: `Remove ${adminEmail}` }).count(), 0);
        await admin.getByRole('button', { name: `Remove ${doomed.email}` }).click();
        const dialog = admin.getByRole('alertdialog');
        await dialog.getByText(`Remove ${doomed.email}?`).waitFor();
        // The confirm button has the focus; by default a user who owns projects is not removed.
        await admin.keyboard.press('Enter');
        await dialog.getByRole('alert').getByText(`${doomed.email} owns project ${theirs}.`).waitFor();
        await shoot(admin, 'users-remove');
        await dialog.getByLabel('Projects they own').selectOption('delete');
        await dialog.getByRole('button', { name: `Confirm removal of ${doomed.email}` }).click();
        await admin.getByText(`Removed ${doomed.email}: `).waitFor();
        assert.match(
          await admin.getByText(`Removed ${doomed.email}: `).innerText(),
          new RegExp(`projects deleted: ${theirs}`),
        );
        await users.getByRole('cell', { name: doomed.email, exact: true }).waitFor({ state: 'detached' });
        assert.equal((await api('GET', '/v1/auth/whoami', { token: doomed.token })).status, 401);
        await shoot(admin, 'users');
        await ctx.close();
      },
    );

    await t.test('sign-out revokes the session token', async () => {
      const token = (await context.cookies()).find((c) => c.name === 'roro_session')!.value;
      assert.equal((await api('GET', '/v1/auth/whoami', { token })).status, 200);
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('heading', { name: 'Sign in to roro' }).waitFor();
      assert.equal((await api('GET', '/v1/auth/whoami', { token })).status, 401);
    });
  },
);

function adminPassword(): string {
  if (process.env.RORO_ADMIN_PASSWORD) return process.env.RORO_ADMIN_PASSWORD;
  return fs.readFileSync(path.join(testEnv().home, 'secrets', 'admin-password'), 'utf8').trim();
}
