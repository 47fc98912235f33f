import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { waitFor } from '../../core/wait.js';
import { engineTrustPath, registryPaths, REGISTRY_USER } from '../../core/cluster-setting.js';
import { api, login, unique } from '../helpers/platform.js';
import { deployAndWait, followDeploy } from '../helpers/deploy.js';
import { startSecondEngine } from '../helpers/second-engine.js';
import { hostImages, platformOnOwnEngine } from '../helpers/cluster-platform.js';

const exec = promisify(execFile);

/** One GET to the registry over TLS from its own CA; with the nodes' login when given. */
function registryGet(
  port: number,
  ca: Buffer,
  pathname: string,
  auth?: string,
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = https.get(
      {
        host: '127.0.0.1',
        port,
        path: pathname,
        ca,
        headers: {
          accept: 'application/vnd.docker.distribution.manifest.v2+json',
          ...(auth ? { authorization: `Basic ${Buffer.from(auth).toString('base64')}` } : {}),
        },
      },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      },
    );
    req.on('error', reject);
  });
}

/**
 * Cluster mode on an engine of the test's own (never the shared one): a build is pushed to the
 * platform's registry and the release records it by digest; a second engine, joined as a worker by
 * the steps `roro nodes:join` prints, pulls exactly that image; a rollback re-uses the digest.
 */
test(
  'in cluster mode a deploy pushes its images to the registry and records the release by digest; a joined worker pulls it; a rollback re-uses the digest',
  { timeout: 1_200_000 },
  async (t) => {
    // The engine starts empty: it gets the base and runtime images of the host's engine.
    const images = await hostImages(t);
    const { engine, second } = await platformOnOwnEngine(150, { RORO_HOST_CA_BUNDLE: images.bundle });
    const project = unique('reg').toLowerCase();
    const registry = `${engine.hostIp}:${second.env.ports.registry}`;
    t.after(async () => {
      await second.remove([project]);
      await engine.down();
      fs.rmSync(path.dirname(engineTrustPath(registry)), { recursive: true, force: true });
    });
    const up = await second.cli(['server', 'up', '--cluster']);
    assert.equal(up.code, 0, `${up.stdout}\n${up.stderr}`);
    // The manager's engine trusts the registry's CA, where Docker looks for it.
    const p = registryPaths(second.home);
    const ca = fs.readFileSync(p.caCert);
    assert.ok(fs.readFileSync(engineTrustPath(registry)).equals(ca), 'the CA is in certs.d on the manager');
    // After the start, as on a fresh manager whose engine has no image yet.
    await images.load(engine);

    const base = second.env.apiUrl;
    const admin = await login(process.env.RORO_ADMIN_EMAIL!, process.env.RORO_ADMIN_PASSWORD!, base);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roro-reg-project-'));
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
    fs.writeFileSync(path.join(dir, 'roro.yml'), `project: ${project}\nruntime: python3\n`);
    fs.writeFileSync(path.join(dir, 'work.py'), 'print("one")\n');
    assert.equal(
      (await api('POST', '/v1/projects', { token: admin, body: { name: project }, baseUrl: base })).status,
      201,
    );

    let started = Date.now();
    const first = await deployAndWait(admin, project, dir, base);
    t.diagnostic(`first deploy (base, runtime and project images pushed): ${Date.now() - started} ms`);
    assert.equal(first.final.kind, 'done', JSON.stringify(first.events.slice(-5)));
    assert.ok(
      first.events.some((e) => e.message.includes(`Pushing roro/app-${project}:`)),
      'the deploy log says where the image went',
    );
    const releases = async () =>
      (await api('GET', `/v1/projects/${project}/releases`, { token: admin, baseUrl: base })).body
        .releases as {
        version: number;
        image: string;
      }[];
    const [r1] = await releases();
    const reference = new RegExp(
      `^${registry.replace(/\./g, '\\.')}/roro/app-${project}@(sha256:[0-9a-f]{64})$`,
    );
    const digest = reference.exec(r1!.image)?.[1];
    assert.ok(digest, `release 1 names its image by digest: ${r1!.image}`);

    // The registry holds it: its catalog and the manifest by digest, with the nodes' login only.
    const password = fs.readFileSync(p.password, 'utf8').trim();
    const creds = `${REGISTRY_USER}:${password}`;
    const port = second.env.ports.registry;
    const catalog = await registryGet(port, ca, '/v2/_catalog', creds);
    assert.equal(catalog.status, 200, catalog.body);
    assert.deepEqual((JSON.parse(catalog.body) as { repositories: string[] }).repositories.sort(), [
      `roro/app-${project}`,
      'roro/base',
      `roro/runtime-python3`,
    ]);
    const manifest = await registryGet(port, ca, `/v2/roro/app-${project}/manifests/${digest}`, creds);
    assert.equal(manifest.status, 200, manifest.body);
    assert.equal(manifest.headers['docker-content-digest'], digest);
    assert.equal((await registryGet(port, ca, '/v2/_catalog')).status, 401);
    assert.equal((await registryGet(port, ca, `/v2/roro/app-${project}/manifests/${digest}`)).status, 401);
    assert.equal((await registryGet(port, ca, '/v2/_catalog', `${REGISTRY_USER}:wrong`)).status, 401);

    // A second engine, not the manager, runs what nodes:join prints, and pulls the release by digest.
    const engine2 = await startSecondEngine(1);
    t.after(() => engine2.down());
    await engine.link(engine2);
    const join = await second.cli(['nodes:join'], { RORO_TOKEN: admin });
    assert.equal(join.code, 0, join.stderr);
    const dockerConfig = fs.mkdtempSync(path.join(os.tmpdir(), 'roro-node2-cli-'));
    const anonymous = fs.mkdtempSync(path.join(os.tmpdir(), 'roro-node2-anon-'));
    t.after(() => {
      for (const d of [dockerConfig, anonymous]) fs.rmSync(d, { recursive: true, force: true });
    });
    const onNode2 = (config: string) => ({
      env: { ...process.env, DOCKER_HOST: engine2.dockerHost, DOCKER_CONFIG: config },
      timeout: 600_000,
    });
    // Without the login the worker's pull is refused.
    const refused = await exec('docker', ['pull', r1!.image], onNode2(anonymous)).then(
      () => 'pulled',
      (err: Error & { stderr?: string }) => err.stderr ?? err.message,
    );
    assert.match(refused, /no basic auth credentials|unauthorized|authentication required/i);
    const joined = await engine2.shell(join.stdout, { DOCKER_CONFIG: dockerConfig });
    assert.match(joined.stdout, /This node joined a swarm as a worker\./);
    assert.match(joined.stdout, /Login Succeeded/);
    assert.equal((await engine2.docker.info()).Swarm.ControlAvailable, false, 'the puller is a worker');
    started = Date.now();
    await exec('docker', ['pull', r1!.image], onNode2(dockerConfig));
    t.diagnostic(`the worker's pull of release 1 by digest: ${Date.now() - started} ms`);
    const pulled = await engine2.docker.getImage(r1!.image).inspect();
    assert.ok(pulled.RepoDigests.includes(r1!.image), JSON.stringify(pulled.RepoDigests));
    const local = await engine.docker.getImage(r1!.image).inspect();
    assert.equal(pulled.Id, local.Id, 'the worker has the very image the manager built');

    // A new release has a new digest; a rollback serves release 1's digest again, without a build.
    fs.writeFileSync(path.join(dir, 'work.py'), 'print("two")\n');
    started = Date.now();
    const second2 = await deployAndWait(admin, project, dir, base);
    t.diagnostic(`second deploy (only the code layer is new): ${Date.now() - started} ms`);
    assert.equal(second2.final.kind, 'done', JSON.stringify(second2.events.slice(-5)));
    const back = await api('POST', `/v1/projects/${project}/rollbacks`, {
      token: admin,
      body: { version: 1 },
      baseUrl: base,
    });
    assert.equal(back.status, 202, JSON.stringify(back.body));
    const events = await followDeploy(admin, project, back.body.deploy.id, undefined, base);
    assert.equal(events.at(-1)!.kind, 'done', JSON.stringify(events.slice(-5)));
    assert.ok(
      !events.some((e) => /Building docker image|Pushing/.test(e.message)),
      'a rollback builds nothing',
    );
    const all = await releases();
    const byVersion = new Map(all.map((r) => [r.version, r.image]));
    assert.match(byVersion.get(2)!, reference);
    assert.notEqual(byVersion.get(2), r1!.image);
    assert.equal(byVersion.get(3), r1!.image);

    // A release whose image neither the engine nor the registry has (a manager restored without its
    // registry's data) is rebuilt from its kept code before a job runs from it, and from then on the
    // release names the rebuilt image's digest: the next job finds it and builds nothing.
    const lost = `${registry}/roro/app-${project}@sha256:${'0'.repeat(64)}`;
    const db = new pg.Client({ connectionString: second.database.toString() });
    await db.connect();
    try {
      await db.query(
        'UPDATE releases SET image = $2 WHERE version = 3 AND project_id = (SELECT id FROM projects WHERE name = $1)',
        [project, lost],
      );
    } finally {
      await db.end();
    }
    const runJob = async () => {
      const started = await api('POST', `/v1/projects/${project}/jobs`, {
        token: admin,
        body: { command: ['python', 'work.py'] },
        baseUrl: base,
      });
      assert.equal(started.status, 202, JSON.stringify(started.body));
      const id = started.body.job.id as string;
      return waitFor(
        async () => {
          const job = (
            await api('GET', `/v1/projects/${project}/jobs/${id}`, { token: admin, baseUrl: base })
          ).body.job as { status: string; error: string | null };
          return ['queued', 'starting', 'running'].includes(job.status) ? undefined : job;
        },
        { timeoutMs: 600_000, intervalMs: 1000 },
      );
    };
    started = Date.now();
    const rebuilt = await runJob();
    t.diagnostic(`a job whose release image was lost, rebuilt and pushed: ${Date.now() - started} ms`);
    assert.equal(rebuilt.status, 'success', JSON.stringify(rebuilt));
    const after = new Map((await releases()).map((r) => [r.version, r.image]));
    assert.match(after.get(3)!, reference, 'release 3 names the rebuilt image by digest');
    assert.notEqual(after.get(3), lost);
    const again = await runJob();
    assert.equal(again.status, 'success', JSON.stringify(again));
    assert.equal((await releases()).find((r) => r.version === 3)!.image, after.get(3));
  },
);
