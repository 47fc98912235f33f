/**
 * Load benchmark, against the platform `roro server up` started (the same RORO_HOME and
 * RORO_PORT_BASE; the admin's password is RORO_ADMIN_PASSWORD or the one generated into
 * RORO_HOME/secrets):
 *  1. `redeploys` code changes and the 5 kinds of failing deploy (import error, bad requirement,
 *     crash on start, never ready, out of memory) of one project, while `connections` clients send
 *     requests to its service back to back: every deploy's outcome and the failed requests;
 *  2. `jobs` `roro run` jobs started at once, each printing 100 lines: how many finish with all of them.
 * As admin it makes a user and a project, and raises the project's running_jobs quota to `jobs`
 * (the default quota is 20). The project is deleted at the end.
 * Usage: node dist/bench/load/load.js [redeploys=20] [jobs=100] [connections=16] (0 skips a part)
 */
import fs from 'node:fs';
import os from 'node:os';
import Docker from 'dockerode';
import { adminLogin, api, newUser, roro, testEnv, unique } from '../../test/helpers/platform.js';
import { deployStorm, FAILING_DEPLOYS, helloVersion, jobBurst } from '../../test/helpers/load.js';
import { deployAndWait } from '../../test/helpers/deploy.js';

const arg = (i: number, fallback: number) => {
  const n = Number(process.argv[i] ?? fallback);
  return Number.isSafeInteger(n) && n >= 0 ? n : fallback;
};
const redeploys = arg(2, 20);
const jobs = arg(3, 100);
const connections = arg(4, 16) || 16;
const JOB_LINES = 100;

async function storm(token: string, project: string): Promise<boolean> {
  console.log(
    `-----> ${redeploys} redeploys and ${FAILING_DEPLOYS.length} failing deploys under requests on ${connections} connections`,
  );
  const r = await deployStorm({
    token,
    project,
    redeploys,
    connections,
    onDeploy: (o) =>
      console.log(
        `       ${o.kind.padEnd(16)} ${o.final.kind.padEnd(7)} ${(o.ms / 1000).toFixed(1).padStart(5)} s  ${o.final.kind === 'failed' ? o.final.message.split('\n')[0]!.slice(0, 100) : ''}`,
      ),
  });
  const good = r.outcomes.filter((o) => o.kind.startsWith('redeploy'));
  const bad = r.outcomes.filter((o) => !o.kind.startsWith('redeploy'));
  const failedRight = bad.every(
    (o, i) => o.final.kind === 'failed' && FAILING_DEPLOYS[i]!.message.test(o.final.message),
  );
  console.log(
    `       redeploys done: ${good.filter((o) => o.final.kind === 'done').length}/${good.length}; failing deploys failed with their reason: ${bad.filter((o, i) => o.final.kind === 'failed' && FAILING_DEPLOYS[i]!.message.test(o.final.message)).length}/${bad.length}`,
  );
  console.log(
    `       requests: ${r.load.ok} ok, ${r.load.failed} failed, ${r.load.retried} resent on a closed keep-alive connection, in ${r.seconds.toFixed(0)} s (${(r.load.ok / r.seconds).toFixed(0)} req/s); versions served: ${r.load.versions.size}`,
  );
  for (const e of r.load.errors.slice(0, 5)) console.log(`       failed request: ${e}`);
  const left = await new Docker({ socketPath: testEnv().dockerSocket }).listContainers({
    all: true,
    filters: { label: [`roro.project=${project}`, 'roro.kind=service'] },
  });
  console.log(`       service containers after the storm: ${left.length} (the last release's one instance)`);
  return (
    left.length === 1 && r.load.failed === 0 && failedRight && good.every((o) => o.final.kind === 'done')
  );
}

async function burst(admin: string, token: string, project: string): Promise<boolean> {
  console.log(`-----> ${jobs} roro run jobs started at once, ${JOB_LINES} lines each`);
  const q = await api('PUT', `/v1/projects/${project}/quotas`, {
    token: admin,
    body: { running_jobs: Math.max(jobs, 20) },
  });
  if (q.status !== 200) throw new Error(`raising the running_jobs quota failed: ${JSON.stringify(q.body)}`);
  // The floor on this machine: as many CLI processes that only start and print their version.
  const t0 = performance.now();
  await Promise.all(Array.from({ length: jobs }, () => roro(['--version'], { timeoutMs: 600_000 })));
  const floorMs = performance.now() - t0;
  const r = await jobBurst({ token, project, count: jobs, lines: JOB_LINES, waitMs: 900_000 });
  const byStatus = new Map<string, number>();
  for (const c of r.checks) byStatus.set(c.status, (byStatus.get(c.status) ?? 0) + 1);
  console.log(
    `       started: ${r.checks.length}/${jobs}, refused: ${r.refused.length}; the last roro run returned after ${(r.startedMs / 1000).toFixed(1)} s, ${(r.startedMs / floorMs).toFixed(2)}× the ${(floorMs / 1000).toFixed(1)} s of ${jobs} roro --version at once`,
  );
  console.log(
    `       finished in ${(r.finishedMs / 1000).toFixed(1)} s: ${[...byStatus].map(([s, n]) => `${n} ${s}`).join(', ')}; with all ${JOB_LINES} lines: ${r.complete}/${jobs}`,
  );
  for (const c of r.checks.filter((x) => x.status !== 'success' || x.missing > 0).slice(0, 5))
    console.log(`       job ${c.id}: ${c.status}, ${c.lines} lines, ${c.missing} missing`);
  for (const e of r.refused.slice(0, 3)) console.log(`       refused: ${e.split('\n')[0]}`);
  return r.complete === jobs;
}

/** Jobs run the last deployed release: without the storm, one deploy of the hello fixture. */
async function firstDeploy(token: string, project: string): Promise<boolean> {
  const dir = helloVersion(project, 'v1');
  const d = await deployAndWait(token, project, dir);
  fs.rmSync(dir, { recursive: true, force: true });
  if (d.final.kind !== 'done') throw new Error(`deploying the hello fixture failed: ${d.final.message}`);
  return true;
}

async function main(): Promise<void> {
  const admin = await adminLogin();
  const user = await newUser();
  const project = unique('benchload');
  const created = await api('POST', '/v1/projects', { token: user.token, body: { name: project } });
  if (created.status !== 201) throw new Error(`creating ${project} failed: ${JSON.stringify(created.body)}`);
  console.log(
    `project ${project}; load average ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}, ${os.cpus().length} CPUs`,
  );
  let ok = false;
  try {
    const stormOk = redeploys > 0 ? await storm(user.token, project) : await firstDeploy(user.token, project);
    const burstOk = jobs > 0 ? await burst(admin, user.token, project) : true;
    ok = stormOk && burstOk;
  } finally {
    await api('DELETE', `/v1/projects/${project}`, { token: user.token });
    console.log(
      `load average at the end ${os
        .loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}`,
    );
  }
  if (!ok) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error((err as Error).stack ?? String(err));
  process.exit(1);
});
