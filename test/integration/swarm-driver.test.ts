import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import { waitFor } from '../../core/wait.js';
import { api, newUser, testEnv, unique } from '../helpers/platform.js';
import { continuousLoad, deployAndWait, gatewayRequest, projectCopy } from '../helpers/deploy.js';
import { loadPlatformImages, startSecondEngine, type SecondEngine } from '../helpers/second-engine.js';
import { secondPlatform } from '../helpers/second-platform.js';
import { SwarmDriver } from '../../containers/swarm-driver.js';
import type { ContainerSpec } from '../../containers/driver.js';
import { projectNetwork, projectNetworkLabels } from '../../domain/project-network.js';

/** `write TEXT` puts TEXT on the data volume, `read` prints it, `count N` prints N lines, `sleepy` waits for SIGTERM. */
const JOB_PY = `import signal, sys, time
mode = sys.argv[1]
if mode == "write":
    open("/volumes/data/note.txt", "w").write(sys.argv[2]); print("wrote", flush=True)
elif mode == "read":
    print("read", open("/volumes/data/note.txt").read(), flush=True)
elif mode == "count":
    for i in range(int(sys.argv[2])):
        print("line", i)
elif mode == "sleepy":
    signal.signal(signal.SIGTERM, lambda *a: (print("got SIGTERM", flush=True), sys.exit(0)))
    print("started", flush=True); time.sleep(600)
`;

interface SwarmService {
  ID: string;
  Spec: {
    Labels?: Record<string, string>;
    TaskTemplate?: { Placement?: { Constraints?: string[] }; Resources?: unknown };
  };
}

/**
 * Cluster mode on a one-node swarm, on an engine of the test's own (never the shared one), with
 * the platform's state in the test platform's PostgreSQL and Temporal: deploys, jobs, notebooks
 * and volumes run through the Swarm driver, each roro container a Swarm service.
 */
test(
  'the Swarm driver on a one-node swarm: replicas, a redeploy with no failed request, a failed deploy that keeps the release, jobs with complete logs and roro stop, a notebook, a volume shared by two jobs',
  { timeout: 1_800_000 },
  async (t) => {
    let engine: SecondEngine;
    try {
      engine = await startSecondEngine(0);
    } catch (err) {
      t.skip(
        `a second Docker engine cannot start here (root, iproute2 and docker.io needed): ${(err as Error).message}`,
      );
      return;
    }
    const host = new Docker({ socketPath: testEnv().dockerSocket });
    let runtimeImage = '';
    const second = await (async () => {
      runtimeImage = await loadPlatformImages(engine, host);
      return secondPlatform(100, { DOCKER_HOST: engine.dockerHost, RORO_REGISTRY_ADDR: engine.hostIp });
    })().catch(async (err) => {
      await engine.down();
      throw err;
    });
    const projects: string[] = [];
    const saved = { ...process.env };
    t.after(async () => {
      for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
      Object.assign(process.env, saved);
      await second.remove(projects);
      await engine.down();
    });
    const up = await second.cli(['server', 'up', '--cluster']);
    assert.equal(up.code, 0, `${up.stdout}\n${up.stderr}`);
    // From here the helpers (api, gatewayRequest, continuousLoad) talk to the cluster platform.
    Object.assign(process.env, second.environ);

    const user = await newUser();
    const project = unique('swarm');
    projects.push(project);
    const P = `/v1/projects/${project}`;
    assert.equal(
      (await api('POST', '/v1/projects', { token: user.token, body: { name: project } })).status,
      201,
    );
    const services = async (...labels: string[]) =>
      (await engine.docker.listServices({
        filters: { label: [`roro.project=${project}`, ...labels] },
      })) as SwarmService[];
    const version = (dir: string, v: string) =>
      fs.writeFileSync(
        path.join(dir, 'greet.py'),
        fs.readFileSync(path.join(dir, 'greet.py'), 'utf8').replace(/VERSION = ".*"/, `VERSION = "${v}"`),
      );
    const hello = (v: string) =>
      projectCopy('hello', project, (dir) => {
        const yml = path.join(dir, 'roro.yml');
        fs.writeFileSync(
          yml,
          fs
            .readFileSync(yml, 'utf8')
            .replace('function: greet.hello', 'function: greet.hello\n    replicas: 2'),
        );
        fs.writeFileSync(path.join(dir, 'job.py'), JOB_PY);
        version(dir, v);
      });

    await t.test(
      'a deploy with replicas 2 runs two Swarm services that serve through the gateway',
      async () => {
        const deployed = await deployAndWait(user.token, project, hello('v1'));
        assert.equal(deployed.final.kind, 'done', JSON.stringify(deployed.events.slice(-5)));
        const running = await services('roro.kind=service');
        assert.equal(running.length, 2, 'one service per replica');
        for (const s of running) {
          assert.equal(s.Spec.Labels?.['roro.managed'], 'true');
          assert.ok(s.Spec.TaskTemplate?.Resources, 'sizes become resources');
        }
        const tasks = (await engine.docker.listTasks({
          filters: { label: [`roro.project=${project}`], 'desired-state': ['running'] },
        })) as { Status: { State: string } }[];
        assert.equal(tasks.filter((x) => x.Status.State === 'running').length, 2);
        // Task containers carry the roro labels too.
        const containers = await engine.docker.listContainers({
          filters: { label: [`roro.project=${project}`, 'roro.kind=service'] },
        });
        assert.equal(containers.length, 2);
        const res = await gatewayRequest(`/${project}/hello`, { body: { name: 'ada' } });
        assert.equal(res.status, 200, JSON.stringify(res.body));
        assert.deepEqual([res.body.greeting, res.body.version], ['hello ada', 'v1']);
      },
    );

    await t.test('a redeploy under load fails no request and switches to the new release', async () => {
      const load = continuousLoad(`/${project}/hello`, { name: 'load' });
      const deployed = await deployAndWait(user.token, project, hello('v2'));
      await waitFor(async () => load.stats.versions.has('v2'), { timeoutMs: 30_000 });
      const stats = await load.stop();
      assert.equal(deployed.final.kind, 'done', JSON.stringify(deployed.events.slice(-5)));
      assert.equal(stats.failed, 0, stats.errors.slice(0, 5).join('\n'));
      assert.ok(stats.ok > 0);
      const after = await gatewayRequest(`/${project}/hello`, { body: {} });
      assert.equal(after.body.version, 'v2');
      await waitFor(async () => (await services('roro.kind=service')).length === 2, { timeoutMs: 60_000 });
    });

    await t.test('a failed deploy leaves the previous release serving', async () => {
      const failing = projectCopy('fail-crash', project);
      const deployed = await deployAndWait(user.token, project, failing);
      assert.equal(deployed.final.kind, 'failed', JSON.stringify(deployed.final));
      const res = await gatewayRequest(`/${project}/hello`, { body: {} });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.version, 'v2');
      await waitFor(async () => (await services('roro.kind=service')).length === 2, { timeoutMs: 60_000 });
    });

    const cliEnv = { RORO_TOKEN: user.token, RORO_PROJECT: project };
    const run = async (args: string[]) => {
      const res = await second.cli(['run', '--json', ...args], cliEnv);
      assert.equal(res.code, 0, res.stderr);
      return JSON.parse(res.stdout).jobid as string;
    };
    const job = async (id: string) => (await api('GET', `${P}/jobs/${id}`, { token: user.token })).body.job;
    const logs = async (id: string) =>
      (await api('GET', `${P}/jobs/${id}/logs?limit=5000`, { token: user.token })).body.lines.map(
        (l: { line: string }) => l.line,
      ) as string[];
    const ended = (id: string) =>
      waitFor(
        async () => {
          const j = await job(id);
          return !['queued', 'starting', 'running'].includes(j.status) && j;
        },
        { timeoutMs: 120_000, intervalMs: 500 },
      );

    await t.test('a job runs as a one-shot service and keeps every line of its output', async () => {
      const id = await run(['python', 'job.py', 'count', '3000']);
      const j = await ended(id);
      assert.deepEqual([j.status, j.exitCode], ['success', 0]);
      const lines = await logs(id);
      assert.equal(lines.length, 3000);
      assert.equal(lines[0], 'line 0');
      assert.equal(lines.at(-1), 'line 2999');
      const follow = await second.cli(['logs', id], cliEnv);
      assert.match(follow.stdout, /^line 2999$/m);
    });

    await t.test('roro stop stops a running job: SIGTERM reaches it, status cancelled', async () => {
      const id = await run(['python', 'job.py', 'sleepy']);
      await waitFor(async () => (await logs(id)).includes('started'), {
        timeoutMs: 120_000,
        intervalMs: 500,
      });
      const [svc] = await services(`roro.job=${id}`);
      assert.ok(svc, 'the job runs as a Swarm service');
      const stop = await second.cli(['stop', id], cliEnv);
      assert.equal(stop.code, 0, stop.stderr);
      assert.match(stop.stdout, new RegExp(`Job ${id} cancelled`));
      assert.equal((await job(id)).status, 'cancelled');
      assert.ok((await logs(id)).includes('got SIGTERM'));
      await waitFor(async () => (await services(`roro.job=${id}`)).length === 0, { timeoutMs: 60_000 });
    });

    await t.test(
      'a volume written by a job is read by the next; both ran on the node that holds it',
      async () => {
        const writer = await run(['python', 'job.py', 'write', 'kept across jobs']);
        // The job's service is made once its workflow starts it, maybe after `roro run` returned.
        const svc = await waitFor(async () => (await services(`roro.job=${writer}`))[0], {
          timeoutMs: 60_000,
          intervalMs: 250,
        });
        const manager = (await engine.docker.info()).Swarm.NodeID as string;
        assert.deepEqual(svc.Spec.TaskTemplate?.Placement?.Constraints, [`node.id==${manager}`]);
        assert.equal((await ended(writer)).status, 'success');
        const reader = await run(['python', 'job.py', 'read']);
        assert.equal((await ended(reader)).status, 'success');
        assert.ok((await logs(reader)).includes('read kept across jobs'), (await logs(reader)).join('\n'));
        const listed = await second.cli(['volumes', '--json'], cliEnv);
        assert.equal(listed.code, 0, listed.stderr);
        const volumes = JSON.parse(listed.stdout).volumes as { name: string; node?: { id: string } }[];
        assert.ok(volumes.length > 0);
        for (const v of volumes) assert.equal(v.node?.id, manager, `${v.name} states its node`);
        const table = await second.cli(['volumes'], cliEnv);
        assert.match(
          table.stdout,
          new RegExp(`^data +/volumes/data +\\S+ \\(${manager.slice(0, 12)}\\)`, 'm'),
        );
      },
    );

    await t.test('a notebook starts, answers through the gateway, and stops', async () => {
      const started = await api('POST', `${P}/notebooks`, { token: user.token, body: {} });
      assert.equal(started.status, 202, JSON.stringify(started.body));
      const id = started.body.notebook.id as string;
      const nb = async () => (await api('GET', `${P}/notebooks/${id}`, { token: user.token })).body.notebook;
      const running = await waitFor(
        async () => {
          const n = await nb();
          assert.ok(n.status === 'starting' || n.status === 'running', JSON.stringify(n));
          return n.status === 'running' && n;
        },
        { timeoutMs: 180_000, intervalMs: 500 },
      );
      const url = new URL(running.url);
      const token = url.searchParams.get('token')!;
      const label = `${project}--nb-${id}`;
      const ok = await gatewayRequest(`/${label}/api/status?token=${token}`);
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      assert.equal((await services(`roro.notebook=${id}`)).length, 1);
      const stop = await api('POST', `${P}/notebooks/${id}/stop`, { token: user.token });
      assert.equal(stop.status, 202);
      const stopped = await waitFor(
        async () => {
          const n = await nb();
          return n.status !== 'running' && n;
        },
        { timeoutMs: 120_000, intervalMs: 500 },
      );
      assert.equal(stopped.status, 'stopped');
      assert.equal((await gatewayRequest(`/${label}/api/status?token=${token}`)).status, 404);
      await waitFor(async () => (await services(`roro.notebook=${id}`)).length === 0, { timeoutMs: 60_000 });
    });

    await t.test(
      "a project's tasks reach each other on its overlay network, and another project's do not",
      async () => {
        const driver = new SwarmDriver(engine.docker);
        const tag = unique('isol');
        const a = { name: `${tag}-a`, id: `${tag}-0` };
        const b = { name: `${tag}-b`, id: `${tag}-1` };
        const net = (p: { id: string; name: string }) => projectNetwork(second.home, p);
        const spec = (name: string, project: { id: string; name: string }, cmd: string[]): ContainerSpec => ({
          image: runtimeImage,
          name,
          cmd,
          labels: { 'roro.project': project.name },
          limits: { cpus: 0.25, memoryBytes: 128 * 1024 * 1024 },
          network: net(project),
        });
        const fetch = (target: string) => [
          'python3',
          '-c',
          `import urllib.request; print(urllib.request.urlopen("http://${target}:8000/", timeout=5).status)`,
        ];
        const server = `${a.name}-server`;
        try {
          await driver.run({
            ...spec(server, a, ['python3', '-m', 'http.server', '8000']),
            restart: 'unless-stopped',
          });
          const same = await driver.run(spec(`${a.name}-client`, a, fetch(server)));
          const other = await driver.run(spec(`${b.name}-client`, b, fetch(server)));
          // The server may take a moment to listen: the same project's client is asked again until it answers.
          let sameExit = (await driver.wait(same.id)).exitCode;
          for (let i = 0; sameExit !== 0 && i < 10; i++) {
            await driver.remove(same.id);
            sameExit = (await driver.wait((await driver.run(spec(`${a.name}-client`, a, fetch(server)))).id))
              .exitCode;
          }
          assert.equal(sameExit, 0, 'a task of the same project reaches the server by its name');
          assert.notEqual((await driver.wait(other.id)).exitCode, 0, "another project's task does not");
        } finally {
          for (const s of await driver.list({ 'roro.project': a.name })) await driver.remove(s.id);
          for (const s of await driver.list({ 'roro.project': b.name })) await driver.remove(s.id);
          await waitFor(
            async () => {
              await driver.removeNetworks(projectNetworkLabels(second.home, a.name)).catch(() => 0);
              await driver.removeNetworks(projectNetworkLabels(second.home, b.name)).catch(() => 0);
              const left = await engine.docker.listNetworks({
                filters: { label: [`roro.project=${a.name}`] },
              });
              return left.length === 0;
            },
            { timeoutMs: 30_000, intervalMs: 1000 },
          );
        }
      },
    );
  },
);
