import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import { api, newUser, roro, testEnv, unique } from '../helpers/platform.js';
import { deployAndWait, projectCopy } from '../helpers/deploy.js';
import { readState } from '../../platform/state.js';

const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A job script: `count N DELAY` prints N lines, `sleepy` waits for SIGTERM, `spam N` floods, `fail C` exits C. */
export const JOB_PY = `import os, signal, sys, time
mode = sys.argv[1]
if mode == "env":
    print("cwd", os.getcwd()); print("project", os.environ.get("RORO_PROJECT")); print("job", os.environ.get("RORO_JOB_ID"))
    print("volumes", sorted(os.listdir("/volumes"))); print("argv", sys.argv[2:])
    print("to stderr", file=sys.stderr)
elif mode == "count":
    for i in range(int(sys.argv[2])):
        print("line", i, flush=True); time.sleep(float(sys.argv[3]))
elif mode == "sleepy":
    signal.signal(signal.SIGTERM, lambda *a: (print("got SIGTERM", flush=True), sys.exit(0)))
    print("started", flush=True); time.sleep(600)
elif mode == "spam":
    sys.stdout.write("".join("spam %d\\n" % i for i in range(int(sys.argv[2]))))
elif mode == "fail":
    print("about to fail", flush=True); sys.exit(int(sys.argv[2]))
`;

export const withJobScript = (dir: string) => fs.writeFileSync(path.join(dir, 'job.py'), JOB_PY);

interface Ctx {
  token: string;
  project: string;
  cli: (args: string[], timeoutMs?: number) => ReturnType<typeof roro>;
}

async function setup(): Promise<Ctx> {
  const user = await newUser();
  const project = unique('jobs');
  assert.equal(
    (await api('POST', '/v1/projects', { token: user.token, body: { name: project } })).status,
    201,
  );
  const env = { RORO_TOKEN: user.token, RORO_PROJECT: project, RORO_URL: testEnv().apiUrl };
  return { token: user.token, project, cli: (args, timeoutMs) => roro(args, { env, timeoutMs }) };
}

async function job(ctx: Ctx, id: string) {
  return (await api('GET', `/v1/projects/${ctx.project}/jobs/${id}`, { token: ctx.token })).body.job;
}

async function logs(ctx: Ctx, id: string): Promise<string[]> {
  const res = await api('GET', `/v1/projects/${ctx.project}/jobs/${id}/logs?limit=5000`, {
    token: ctx.token,
  });
  return res.body.lines.map((l: { line: string }) => l.line);
}

async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | false>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = await fn();
    if (v) return v;
    await sleep(300);
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function startJob(ctx: Ctx, args: string[]): Promise<string> {
  const res = await ctx.cli(['run', '--json', ...args]);
  assert.equal(res.code, 0, res.stderr);
  return JSON.parse(res.stdout).jobid as string;
}

const jobContainers = (project: string) =>
  docker.listContainers({ all: true, filters: { label: [`roro.project=${project}`, 'roro.kind=job'] } });

test(
  'jobs: run, logs, failure, stop, vanished container, worker restart, log cap',
  { timeout: 900_000 },
  async (t) => {
    const ctx = await setup();

    await t.test('without a deploy, roro run says to deploy first', async () => {
      const res = await ctx.cli(['run', 'python', 'job.py', 'env']);
      assert.equal(res.code, 2, res.stderr);
      assert.match(res.stderr, /no deployed code yet/);
      assert.match(res.stderr, /roro deploy/);
    });

    const deployed = await deployAndWait(
      ctx.token,
      ctx.project,
      projectCopy('hello', ctx.project, withJobScript),
    );
    assert.equal(deployed.final.kind, 'done', JSON.stringify(deployed.events.slice(-5)));

    await t.test(
      'run a job: code at /app, volumes, env, argv options kept; logs after the container is gone',
      async () => {
        const res = await ctx.cli(['run', 'python', 'job.py', 'env', '-s', 'S9', '--url', 'x', '--json']);
        assert.equal(res.code, 0, res.stderr);
        const id = /^Started new job (\S+)$/m.exec(res.stdout)?.[1];
        assert.ok(id, res.stdout);
        const follow = await ctx.cli(['logs', id, '-f']);
        assert.equal(follow.code, 0, follow.stderr);
        assert.match(follow.stdout, /^cwd \/app$/m);
        assert.match(follow.stdout, new RegExp(`^project ${ctx.project}$`, 'm'));
        assert.match(follow.stdout, new RegExp(`^job ${id}$`, 'm'));
        assert.match(follow.stdout, /volumes \['data', 'notebooks'\]/);
        assert.match(follow.stdout, /argv \['-s', 'S9', '--url', 'x', '--json'\]/);
        assert.match(follow.stdout, /to stderr/);
        assert.equal((await job(ctx, id)).status, 'success');
        assert.equal((await job(ctx, id)).exitCode, 0);
        await waitFor('container removed', async () => (await jobContainers(ctx.project)).length === 0);
        const again = await ctx.cli(['logs', id, '-t']);
        assert.match(again.stdout, /^\d{4}-\d\d-\d\dT\S+ cwd \/app$/m);
      },
    );

    await t.test('a failing job records its exit code; logs -f exits 1; ps -a lists it', async () => {
      const id = await startJob(ctx, ['python', 'job.py', 'fail', '3']);
      const follow = await ctx.cli(['logs', id, '-f']);
      assert.equal(follow.code, 1);
      assert.match(follow.stdout, /about to fail/);
      assert.match(follow.stderr, /failed \(exit code 3\)/);
      const j = await job(ctx, id);
      assert.equal(j.status, 'failed');
      assert.equal(j.exitCode, 3);
      const ps = await ctx.cli(['ps', '-a']);
      assert.equal(ps.code, 0, ps.stderr);
      assert.match(ps.stdout, /JOBID\s+STATUS\s+WHEN\s+TIME\s+SIZE\s+CMD/);
      assert.match(ps.stdout, new RegExp(`${id}\\s+failed \\(exit 3\\).*S1\\s+python job.py fail 3`));
      const json = JSON.parse((await ctx.cli(['ps', '-a', '--json'])).stdout);
      assert.ok(json.jobs.some((x: { id: string; exitCode: number }) => x.id === id && x.exitCode === 3));
    });

    await t.test(
      'roro stop cancels a long job: SIGTERM reaches it, status cancelled, container removed',
      async () => {
        const id = await startJob(ctx, ['python', 'job.py', 'sleepy']);
        await waitFor('job started', async () => (await logs(ctx, id)).includes('started'));
        const running = await ctx.cli(['ps', '--json']);
        assert.ok(JSON.parse(running.stdout).jobs.some((x: { id: string }) => x.id === id));
        const stop = await ctx.cli(['stop', id]);
        assert.equal(stop.code, 0, stop.stderr);
        assert.match(stop.stdout, new RegExp(`Job ${id} cancelled`));
        assert.equal((await job(ctx, id)).status, 'cancelled');
        assert.ok((await logs(ctx, id)).includes('got SIGTERM'));
        await waitFor('container removed', async () => (await jobContainers(ctx.project)).length === 0);
      },
    );

    await t.test('a job whose container is removed by hand is marked failed with the reason', async () => {
      const id = await startJob(ctx, ['python', 'job.py', 'sleepy']);
      await waitFor('job started', async () => (await logs(ctx, id)).includes('started'));
      const [c] = await jobContainers(ctx.project);
      await docker.getContainer(c!.Id).remove({ force: true });
      const j = await waitFor('job failed', async () => {
        const x = await job(ctx, id);
        return x.status !== 'running' && x;
      });
      assert.equal(j.status, 'failed');
      assert.match(j.error, /disappeared/);
    });

    await t.test(
      'a worker killed during a job: the job is tracked to completion with every line',
      async () => {
        const id = await startJob(ctx, ['python', 'job.py', 'count', '40', '0.25']);
        await waitFor('first lines', async () => (await logs(ctx, id)).length >= 3);
        const pid = readState(testEnv().home)?.components.find((c) => c.name === 'worker')?.pid;
        assert.ok(pid, 'the supervisor knows the worker pid');
        process.kill(pid, 'SIGKILL');
        const j = await waitFor(
          'job finished',
          async () => {
            const x = await job(ctx, id);
            return x.status !== 'running' && x;
          },
          120_000,
        );
        assert.equal(j.status, 'success', JSON.stringify(j));
        const lines = await logs(ctx, id);
        assert.deepEqual(
          lines,
          Array.from({ length: 40 }, (_, i) => `line ${i}`),
        );
      },
    );

    await t.test('logs are capped per job with one marker that counts what was dropped', async () => {
      const id = await startJob(ctx, ['python', 'job.py', 'spam', '52000']);
      await waitFor('job finished', async () => (await job(ctx, id)).status !== 'running', 120_000);
      const j = await job(ctx, id);
      assert.equal(j.status, 'success');
      assert.equal(j.logDropped, 2000);
      const tail = await api('GET', `/v1/projects/${ctx.project}/jobs/${id}/logs?after=49990&limit=100`, {
        token: ctx.token,
      });
      const lines = tail.body.lines.map((l: { line: string }) => l.line);
      assert.equal(lines.length, 11);
      assert.equal(lines[9], 'spam 49999');
      assert.match(lines[10], /^\[roro\] log truncated: 2000 lines dropped/);
    });
  },
);
