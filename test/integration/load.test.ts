import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import Docker from 'dockerode';
import { adminLogin, api, newUser, unique } from '../helpers/platform.js';
import { deployAndWait } from '../helpers/deploy.js';
import { deployStorm, FAILING_DEPLOYS, helloVersion, jobBurst } from '../helpers/load.js';

// Issue 11, point 6, at test size; bench/load runs the full size (20 redeploys, 100 jobs).
const REDEPLOYS = 5;
const CONNECTIONS = 16;
const JOBS = 50;
const JOB_LINES = 100;

const docker = new Docker({ socketPath: '/var/run/docker.sock' });

async function setup() {
  const user = await newUser();
  const project = unique('load');
  const res = await api('POST', '/v1/projects', { token: user.token, body: { name: project } });
  assert.equal(res.status, 201);
  return { token: user.token, project };
}

test(
  `${REDEPLOYS} redeploys and every kind of failing deploy under requests on ${CONNECTIONS} connections fail no request`,
  { timeout: 1_200_000 },
  async () => {
    const { token, project } = await setup();
    const r = await deployStorm({ token, project, redeploys: REDEPLOYS, connections: CONNECTIONS });
    const good = r.outcomes.filter((o) => o.kind.startsWith('redeploy'));
    const bad = r.outcomes.filter((o) => !o.kind.startsWith('redeploy'));
    assert.deepEqual(
      good.map((o) => o.final.kind),
      Array(REDEPLOYS).fill('done'),
      JSON.stringify(good.map((o) => o.final.message)),
    );
    assert.deepEqual(
      bad.map((o) => o.kind),
      FAILING_DEPLOYS.map((f) => f.kind),
    );
    bad.forEach((o, i) => {
      assert.equal(o.final.kind, 'failed', `${o.kind}: ${o.final.message}`);
      assert.match(o.final.message, FAILING_DEPLOYS[i]!.message, o.kind);
      // The release before it keeps serving, and the message says so.
      assert.match(o.final.message, /Serving now: default v\d+ \(1 of 1 instance ready\)\./, o.kind);
    });
    assert.equal(r.load.failed, 0, r.load.errors.slice(0, 5).join('\n'));
    assert.ok(r.load.ok > 100, `only ${r.load.ok} requests answered`);
    assert.equal(r.load.versions.size, REDEPLOYS + 1, [...r.load.versions].join(' '));
    // Failed deploys left no container behind: one instance, of the last good release.
    const containers = await docker.listContainers({
      all: true,
      filters: { label: [`roro.project=${project}`, 'roro.kind=service'] },
    });
    assert.equal(containers.length, 1, containers.map((c) => c.Names[0]).join(' '));
    const releases = await api('GET', `/v1/projects/${project}/releases`, { token });
    assert.equal(releases.body.releases[0].version, REDEPLOYS + 1);
    await api('DELETE', `/v1/projects/${project}`, { token });
  },
);

test(
  `${JOBS} roro run jobs started at once all finish with all their lines`,
  { timeout: 1_200_000 },
  async () => {
    const { token, project } = await setup();
    const dir = helloVersion(project, 'v1');
    const d = await deployAndWait(token, project, dir);
    fs.rmSync(dir, { recursive: true, force: true });
    assert.equal(d.final.kind, 'done', d.final.message);
    // The default running_jobs quota (20) would refuse the burst: the admin raises it.
    const q = await api('PUT', `/v1/projects/${project}/quotas`, {
      token: await adminLogin(),
      body: { running_jobs: JOBS },
    });
    assert.equal(q.status, 200, JSON.stringify(q.body));
    const r = await jobBurst({ token, project, count: JOBS, lines: JOB_LINES, waitMs: 900_000 });
    assert.deepEqual(r.refused, []);
    const bad = r.checks.filter((c) => c.status !== 'success' || c.missing > 0 || c.lines !== JOB_LINES);
    assert.deepEqual(bad, []);
    assert.equal(r.complete, JOBS);
    await api('DELETE', `/v1/projects/${project}`, { token });
  },
);
