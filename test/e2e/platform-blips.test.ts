import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../core/config.js';
import { readState } from '../../platform/state.js';
import { portAnswers } from '../../platform/proc.js';
import { api, newUser, roro, testEnv, unique, type CliResult } from '../helpers/platform.js';
import { deployAndWait, gatewayRequest, projectCopy } from '../helpers/deploy.js';

/**
 * Platform blips under a user's command: PostgreSQL, the API or Temporal dies while the CLI
 * follows an operation. The supervisor restarts the component; the operation goes on; the CLI
 * must report how it really ended. To hold a component down for the 503 checks, the supervisor
 * itself is paused (SIGSTOP) so it cannot restart it, and resumed after.
 */

const home = () => testEnv().home;
const pidOf = (name: string) => readState(home())?.components.find((c) => c.name === name)?.pid;
const supervisorPid = () => Number(fs.readFileSync(path.join(home(), 'run', 'supervisor.pid'), 'utf8'));

async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, ms = 120_000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const healthy = async () => {
  const res = await fetch(`${testEnv().apiUrl}/v1/health`).catch(() => undefined);
  return res?.ok ? true : undefined;
};

/** What a component's log gains from now on (all of it, should the log rotate meanwhile). */
function logFrom(component: string) {
  const file = path.join(home(), 'logs', `${component}.log`);
  const start = fs.statSync(file).size;
  return {
    since() {
      const text = fs.readFileSync(file);
      return text.subarray(text.length >= start ? start : 0).toString('utf8');
    },
  };
}

/** Runs bin/roro, calling `onOutput` with all output so far after each chunk (to inject a fault at a moment). */
function roroWatched(
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
  onOutput: (stdout: string, stderr: string) => void,
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(REPO_ROOT, 'bin', 'roro'), args, {
      cwd,
      env: { ...process.env, NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => onOutput((stdout += d), stderr));
    child.stderr.on('data', (d) => onOutput(stdout, (stderr += d)));
    const timer = setTimeout(() => child.kill('SIGKILL'), 480_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** Kills a component of the test platform once, with SIGKILL; the supervisor restarts it. */
function killer(component: string) {
  let killed: number | undefined;
  return {
    kill() {
      if (killed) return;
      killed = pidOf(component);
      assert.ok(killed, `the supervisor knows the ${component} pid`);
      process.kill(killed, 'SIGKILL');
    },
    get killed() {
      return killed;
    },
  };
}

async function deployWithFault(component: string) {
  const user = await newUser();
  const project = unique('blip');
  await api('POST', '/v1/projects', { token: user.token, body: { name: project } });
  const dir = projectCopy('hello', project);
  const fault = killer(component);
  const env = { RORO_TOKEN: user.token, RORO_URL: testEnv().apiUrl };
  const res = await roroWatched(['deploy'], env, dir, (_out, err) => {
    if (err.includes('Building docker image...')) fault.kill();
  });
  await until('the platform to answer again', healthy);
  return { user, project, res, fault, env };
}

/** A new user's project with the hello fixture deployed (jobs run its release). */
async function deployedProject(prefix: string) {
  const user = await newUser();
  const project = unique(prefix);
  await api('POST', '/v1/projects', { token: user.token, body: { name: project } });
  await deployAndWait(user.token, project, projectCopy('hello', project));
  return { user, project };
}

/** The CLI's own account of the outage, for the test report. */
const outage = (stderr: string) =>
  stderr.match(/The roro API answers again \(after \d+ s\)/)?.[0] ?? 'the CLI saw no outage';

function assertNoRepeatedLines(text: string) {
  const lines = text.split('\n').filter((l) => /\S/.test(l) && !l.startsWith('       '));
  const seen = new Set<string>();
  for (const l of lines) {
    assert.ok(!seen.has(l), `line shown twice: ${l}\n${text}`);
    seen.add(l);
  }
}

for (const component of ['postgres', 'api']) {
  test(
    `kill -9 of ${component} during roro deploy: the deploy finishes and the CLI says so, exit 0`,
    { timeout: 600_000 },
    async (t) => {
      const apiLog = logFrom('api');
      const { project, res, fault, env } = await deployWithFault(component);
      assert.ok(fault.killed, `${component} was killed during the build`);
      assert.equal(res.code, 0, `${res.stdout}\n${res.stderr}`);
      t.diagnostic(outage(res.stderr));
      assert.match(res.stdout, new RegExp(`Deployed version 1 of ${project} project\\.`));
      assert.doesNotMatch(res.stderr, /Internal server error|Error:/);
      assertNoRepeatedLines(res.stderr.replace(/^Uploading .*$/gm, ''));
      const releases = await roro(['releases', '--project', project, '--json'], { env });
      assert.equal(releases.code, 0, releases.stderr);
      assert.deepEqual(
        JSON.parse(releases.stdout).releases.map((r: { version: number }) => r.version),
        [1],
      );
      const served = await gatewayRequest(`/${project}/hello`, { body: { name: 'blip' } });
      assert.equal(served.status, 200);
      if (component === 'postgres')
        assert.doesNotMatch(apiLog.since(), /ERR_HTTP_HEADERS_SENT|internal error/);
    },
  );
}

test(
  'kill -9 of postgres during roro logs -f of a running job: every line once, the job’s real status, exit 0',
  { timeout: 600_000 },
  async (t) => {
    const { user, project } = await deployedProject('bliplog');
    const env = { RORO_TOKEN: user.token, RORO_URL: testEnv().apiUrl, RORO_PROJECT: project };
    const script =
      'import time\nfor i in range(1, 61):\n    print(f"line {i}", flush=True)\n    time.sleep(0.2)\n';
    const started = await roro(['run', '--json', 'python', '-c', script], { env });
    assert.equal(started.code, 0, started.stderr);
    const jobId = JSON.parse(started.stdout).jobid as string;
    const fault = killer('postgres');
    const res = await roroWatched(['logs', jobId, '-f'], env, REPO_ROOT, (out) => {
      if (out.includes('line 5\n')) fault.kill();
    });
    assert.ok(fault.killed, 'postgres was killed while the log was followed');
    assert.equal(res.code, 0, `${res.stdout}\n${res.stderr}`);
    t.diagnostic(outage(res.stderr));
    assert.deepEqual(
      res.stdout.trim().split('\n'),
      Array.from({ length: 60 }, (_, i) => `line ${i + 1}`),
    );
    assert.match(res.stderr, new RegExp(`Job ${jobId} success \\(exit code 0\\)`));
  },
);

/** Holds `component` down (the supervisor paused) while `fn` runs, then lets the platform heal. */
async function whileDown(component: 'postgres' | 'temporal', fn: () => Promise<void>) {
  const env = testEnv();
  const port = component === 'postgres' ? env.ports.postgres : Number(env.temporalAddress.split(':').pop());
  const supervisor = supervisorPid();
  const pid = pidOf(component);
  assert.ok(pid, `the supervisor knows the ${component} pid`);
  process.kill(supervisor, 'SIGSTOP');
  try {
    process.kill(pid, 'SIGKILL');
    // Its parent is paused and cannot reap it, so the process lingers as a zombie: wait for the port.
    await until(`${component} to stop listening`, async () => ((await portAnswers(port)) ? undefined : true));
    await fn();
  } finally {
    process.kill(supervisor, 'SIGCONT');
    // Whatever failed above, the next test gets a whole platform.
    await until(`the supervisor to restart ${component}`, () => {
      const c = readState(home())?.components.find((x) => x.name === component);
      return c?.status === 'up' && c.pid !== pid ? true : undefined;
    });
    await until('the platform to answer again', healthy);
  }
}

test(
  'while PostgreSQL is down the API answers 503 JSON with Retry-After, and server status names it',
  { timeout: 300_000 },
  async () => {
    const user = await newUser();
    await whileDown('postgres', async () => {
      for (const [method, route] of [
        ['GET', '/v1/projects'],
        ['GET', '/v1/health'],
        ['POST', '/v1/projects'],
      ] as const) {
        const res = await api(method, route, {
          token: user.token,
          ...(method === 'POST' ? { body: { name: 'x' } } : {}),
        });
        assert.equal(res.status, 503, `${method} ${route}: ${JSON.stringify(res.body)}`);
        assert.equal(res.headers.get('retry-after'), '2');
        assert.equal(res.body.error.code, 'unavailable');
        assert.match(res.body.error.message, /database \(PostgreSQL\) is unreachable/);
        assert.ok(res.body.error.hint);
        assert.doesNotMatch(JSON.stringify(res.body), /node_modules|\bat [\w.]+ \(/);
      }
      const status = await roro(['server', 'status', '--json']);
      assert.equal(status.code, 1, 'status exits 1 while a component is down');
      const rows = JSON.parse(status.stdout).components as {
        name: string;
        status: string;
        detail?: string;
      }[];
      const row = (n: string) => rows.find((r) => r.name === n)!;
      assert.equal(row('postgres').status, 'down');
      assert.match(row('postgres').detail ?? '', /nothing accepts connections/);
      assert.match(row('api').detail ?? '', /503: The database \(PostgreSQL\) is unreachable/);
    });
    const after = await api('GET', '/v1/projects', { token: user.token });
    assert.equal(after.status, 200);
  },
);

test(
  'while Temporal is down starting a job is refused with 503 naming Temporal, and server status names it',
  { timeout: 300_000 },
  async () => {
    const { user, project } = await deployedProject('bliptmp');
    await whileDown('temporal', async () => {
      const res = await api('POST', `/v1/projects/${project}/jobs`, {
        token: user.token,
        body: { command: ['echo', 'hi'] },
      });
      assert.equal(res.status, 503, JSON.stringify(res.body));
      assert.equal(res.headers.get('retry-after'), '2');
      assert.equal(res.body.error.code, 'unavailable');
      assert.match(res.body.error.message, /^Temporal is unreachable/);
      const status = await roro(['server', 'status', '--json']);
      assert.equal(status.code, 1);
      const rows = JSON.parse(status.stdout).components as { name: string; status: string }[];
      assert.equal(rows.find((r) => r.name === 'temporal')!.status, 'down');
    });
    const jobs = await api('GET', `/v1/projects/${project}/jobs?all=1`, { token: user.token });
    assert.deepEqual(jobs.body.jobs, [], 'the refused job left no row');
  },
);
