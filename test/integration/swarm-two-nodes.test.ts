import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { waitFor } from '../../core/wait.js';
import { engineTrustPath } from '../../core/cluster-setting.js';
import { api, login, unique } from '../helpers/platform.js';
import { continuousLoad, deployAndWait, gatewayRequest } from '../helpers/deploy.js';
import { startSecondEngine } from '../helpers/second-engine.js';
import { hostImages, platformOnOwnEngine } from '../helpers/cluster-platform.js';

/** A function that says which container answered. */
const WHO_PY = `import socket

VERSION = "v1"


def who():
    return {"host": socket.gethostname(), "version": VERSION}
`;

/** Tries a TCP connection to each host:port given, and says which answered. */
const PROBE_PY = `import socket
import sys

for target in sys.argv[1:]:
    host, port = target.rsplit(":", 1)
    try:
        socket.create_connection((host, int(port)), timeout=3).close()
        print(target, "open")
    except OSError:
        print(target, "closed")
`;

interface Task {
  NodeID?: string;
  ServiceID?: string;
  Status?: { State?: string; ContainerStatus?: { ContainerID?: string } };
}

/**
 * Two engines, each in a network namespace of its own: the platform's manager and a worker joined
 * by the lines `roro nodes:join` prints. A `replicas: 2` service runs one replica on each; draining
 * the worker moves its replica to the manager with no failed request through the gateway; a worker
 * that dies (engine and containers killed) has its replica started again on the manager, and the
 * test prints how long each step took.
 */
test(
  'two nodes: replicas spread over them, a drain moves a replica without a failed request, a lost node is replaced',
  { timeout: 1_500_000 },
  async (t) => {
    // The engine starts empty: it gets the host engine's base and runtime images.
    const images = await hostImages(t);
    const { engine, second } = await platformOnOwnEngine(200, { RORO_HOST_CA_BUNDLE: images.bundle });
    const project = unique('two').toLowerCase();
    const projects = [project];
    const registry = `${engine.hostIp}:${second.env.ports.registry}`;
    const saved = { ...process.env };
    const worker = await startSecondEngine(1).catch(async (err: unknown) => {
      await second.remove();
      await engine.down();
      throw err;
    });
    t.after(async () => {
      for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
      Object.assign(process.env, saved);
      await second.remove(projects);
      await worker.down();
      await engine.down();
      fs.rmSync(path.dirname(engineTrustPath(registry)), { recursive: true, force: true });
    });
    const up = await second.cli(['server', 'up', '--cluster']);
    assert.equal(up.code, 0, `${up.stdout}\n${up.stderr}`);
    await images.load(engine);
    // From here the helpers (api, gatewayRequest, continuousLoad) talk to the cluster platform.
    Object.assign(process.env, second.environ);
    const admin = await login(process.env.RORO_ADMIN_EMAIL!, process.env.RORO_ADMIN_PASSWORD!);
    const asAdmin = { RORO_TOKEN: admin };

    // The worker joins by the printed lines, as a second host would.
    await engine.link(worker);
    const join = await second.cli(['nodes:join'], asAdmin);
    assert.equal(join.code, 0, join.stderr);
    const dockerConfig = fs.mkdtempSync(path.join(os.tmpdir(), 'roro-two-cli-'));
    t.after(() => fs.rmSync(dockerConfig, { recursive: true, force: true }));
    const joined = await worker.shell(join.stdout, { DOCKER_CONFIG: dockerConfig });
    assert.match(joined.stdout, /This node joined a swarm as a worker\./);
    const workerId = String((await worker.docker.info()).Swarm.NodeID);
    const managerId = String((await engine.docker.info()).Swarm.NodeID);

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roro-two-project-'));
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
    fs.writeFileSync(
      path.join(dir, 'roro.yml'),
      `project: ${project}\nruntime: python3\nservices:\n  - name: default\n    function: who.who\n    replicas: 2\n    volumes: []\n`,
    );
    const release = (v: string) => fs.writeFileSync(path.join(dir, 'who.py'), WHO_PY.replace('v1', v));
    assert.equal((await api('POST', '/v1/projects', { token: admin, body: { name: project } })).status, 201);

    /** The node of each running replica of the project's service, by Swarm service id. */
    const placement = async () => {
      const services = (await engine.docker.listServices({
        filters: { label: [`roro.project=${project}`, 'roro.kind=service'] },
      })) as { ID: string }[];
      const tasks = (await engine.docker.listTasks({
        filters: { service: services.map((s) => s.ID), 'desired-state': ['running'] },
      })) as Task[];
      return tasks.filter((x) => x.Status?.State === 'running').map((x) => x.NodeID!);
    };
    const hostsAnswering = async (n = 20) => {
      const hosts = new Set<string>();
      for (let i = 0; i < n; i++) {
        const res = await gatewayRequest(`/${project}/who`, { body: {} });
        assert.equal(res.status, 200, JSON.stringify(res.body));
        hosts.add(String(res.body.host));
      }
      return hosts;
    };
    /** The gateway's upstreams for the project, from the platform's database (a client per read). */
    const routes = async () => {
      const db = new pg.Client({ connectionString: second.database.toString() });
      await db.connect();
      try {
        const res = await db.query<{ upstreams: string[] }>(
          'SELECT r.upstreams FROM routes r JOIN projects p ON p.id = r.project_id WHERE p.name = $1',
          [project],
        );
        return res.rows.flatMap((r) => r.upstreams);
      } finally {
        await db.end();
      }
    };

    /** Waits for both replicas to run on the manager and the route to leave the worker; ms since `started`. */
    const untilBothOnManager = async (started: number) => {
      await waitFor(
        async () => {
          const p = await placement();
          return p.length === 2 && p.every((n) => n === managerId);
        },
        { timeoutMs: 180_000, intervalMs: 250 },
      );
      const moved = Date.now() - started;
      await waitFor(async () => (await routes()).every((u) => !u.startsWith(`${worker.nodeIp}:`)), {
        timeoutMs: 60_000,
        intervalMs: 250,
      });
      return { moved, rerouted: Date.now() - started };
    };

    await t.test('a replicas: 2 service runs one replica on each node, both serving', async () => {
      release('v1');
      let started = Date.now();
      const deployed = await deployAndWait(admin, project, dir);
      t.diagnostic(`first deploy, images pushed and pulled by the worker: ${Date.now() - started} ms`);
      assert.equal(deployed.final.kind, 'done', JSON.stringify(deployed.events.slice(-5)));
      assert.deepEqual((await placement()).sort(), [managerId, workerId].sort());
      // The spreading constraints came off once each replica ran, and its task stayed: one task each.
      const services = (await engine.docker.listServices({
        filters: { label: [`roro.project=${project}`, 'roro.kind=service'] },
      })) as { ID: string; Spec: { TaskTemplate?: { Placement?: { Constraints?: string[] } } } }[];
      for (const s of services) {
        assert.deepEqual(s.Spec.TaskTemplate?.Placement?.Constraints ?? [], [], 'no constraint left');
        const tasks = await engine.docker.listTasks({ filters: { service: [s.ID] } });
        assert.equal(tasks.length, 1, 'the task was not replaced when its constraints came off');
      }
      // The gateway sends to the worker's replica at the worker's address.
      const upstreams = await routes();
      assert.ok(
        upstreams.some((u) => u.startsWith(`${worker.nodeIp}:`)),
        `a route to the worker: ${upstreams.join(', ')}`,
      );
      assert.equal((await hostsAnswering()).size, 2, 'both replicas answer');
      started = Date.now();
      release('v2');
      const again = await deployAndWait(admin, project, dir);
      t.diagnostic(`code-only redeploy on two nodes: ${Date.now() - started} ms`);
      assert.equal(again.final.kind, 'done', JSON.stringify(again.events.slice(-5)));
      assert.deepEqual(
        (await placement()).sort(),
        [managerId, workerId].sort(),
        'the new release spreads too',
      );
    });

    await t.test(
      "another project's containers cannot reach the replicas' published ports, on either node",
      async () => {
        // A second tenant, with a job that tries to connect to the first one's replicas directly.
        const other = unique('twob').toLowerCase();
        const otherDir = fs.mkdtempSync(path.join(os.tmpdir(), 'roro-two-other-'));
        projects.push(other);
        t.after(() => fs.rmSync(otherDir, { recursive: true, force: true }));
        fs.writeFileSync(path.join(otherDir, 'roro.yml'), `project: ${other}\nruntime: python3\n`);
        fs.writeFileSync(path.join(otherDir, 'probe.py'), PROBE_PY);
        assert.equal(
          (await api('POST', '/v1/projects', { token: admin, body: { name: other } })).status,
          201,
        );
        const deployed = await deployAndWait(admin, other, otherDir);
        assert.equal(deployed.final.kind, 'done', JSON.stringify(deployed.events.slice(-5)));
        const targets = await routes();
        assert.equal(targets.length, 2, targets.join(', '));
        const probeFrom = async () => {
          const started = await api('POST', `/v1/projects/${other}/jobs`, {
            token: admin,
            body: { command: ['python', 'probe.py', ...targets] },
          });
          assert.equal(started.status, 202, JSON.stringify(started.body));
          const id = started.body.job.id as string;
          await waitFor(
            async () => {
              const job = (await api('GET', `/v1/projects/${other}/jobs/${id}`, { token: admin })).body.job;
              return !['queued', 'starting', 'running'].includes(job.status);
            },
            { timeoutMs: 180_000, intervalMs: 500 },
          );
          const lines = (
            await api('GET', `/v1/projects/${other}/jobs/${id}/logs?limit=100`, { token: admin })
          ).body.lines as { line: string }[];
          return lines.map((l) => l.line).sort();
        };
        // Without the rules, Swarm's host-mode ports answer any container: the hole they close.
        assert.deepEqual(await probeFrom(), targets.map((x) => `${x} open`).sort());
        // The worker has them from the lines nodes:join printed; a real manager from `server up
        // --cluster`, which sets them in the host's network, the network its engine shares (here the
        // engine has a namespace of its own).
        const lines = (
          JSON.parse((await second.cli(['nodes:join', '--json'], asAdmin)).stdout) as { firewall: string[] }
        ).firewall;
        await engine.shell(lines.join('\n'));
        assert.deepEqual(await probeFrom(), targets.map((x) => `${x} closed`).sort());
        assert.equal((await hostsAnswering()).size, 2, 'the gateway still reaches both replicas');
      },
    );

    await t.test('draining the worker moves its replica to the manager with no failed request', async () => {
      const load = continuousLoad(`/${project}/who`, {});
      const started = Date.now();
      const drain = await second.cli(['nodes:drain', workerId], asAdmin);
      assert.equal(drain.code, 0, drain.stderr);
      const { moved, rerouted } = await untilBothOnManager(started);
      // A little more load on the new placement.
      await new Promise((r) => setTimeout(r, 2000));
      const stats = await load.stop();
      t.diagnostic(
        `drain: replica running on the manager after ${moved} ms, route off the worker after ${rerouted} ms; ` +
          `${stats.ok} requests, ${stats.failed} failed`,
      );
      assert.equal(stats.failed, 0, stats.errors.slice(0, 5).join('\n'));
      assert.ok(stats.ok > 0);
      assert.equal((await hostsAnswering()).size, 2, 'both replicas answer from the manager');
      const activate = await second.cli(['nodes:activate', workerId], asAdmin);
      assert.equal(activate.code, 0, activate.stderr);
    });

    await t.test('a worker that dies has its replica started again on the manager', async () => {
      // Swarm does not move running work back to a node that returns: a new release spreads again.
      release('v3');
      const deployed = await deployAndWait(admin, project, dir);
      assert.equal(deployed.final.kind, 'done', JSON.stringify(deployed.events.slice(-5)));
      assert.deepEqual((await placement()).sort(), [managerId, workerId].sort());
      const load = continuousLoad(`/${project}/who`, {});
      const started = Date.now();
      await worker.crash();
      const nodeState = async () =>
        ((await engine.docker.getNode(workerId).inspect()) as { Status?: { State?: string } }).Status?.State;
      await waitFor(async () => (await nodeState()) === 'down', { timeoutMs: 120_000, intervalMs: 250 });
      const down = Date.now() - started;
      const { moved: rescheduled, rerouted } = await untilBothOnManager(started);
      await new Promise((r) => setTimeout(r, 2000));
      const stats = await load.stop();
      t.diagnostic(
        `worker killed: node down after ${down} ms, replica running on the manager after ${rescheduled} ms, ` +
          `route off the worker after ${rerouted} ms; ${stats.ok} requests, ${stats.failed} failed`,
      );
      assert.equal(stats.failed, 0, stats.errors.slice(0, 5).join('\n'));
      assert.equal((await hostsAnswering()).size, 2, 'two replicas answer again');
    });
  },
);
