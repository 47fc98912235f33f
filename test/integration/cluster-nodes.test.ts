import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { waitFor } from '../../core/wait.js';
import { engineTrustPath } from '../../core/cluster-setting.js';
import { adminLogin, api, login } from '../helpers/platform.js';
import { startSecondEngine } from '../helpers/second-engine.js';
import { secondPlatform } from '../helpers/second-platform.js';
import { platformOnOwnEngine } from '../helpers/cluster-platform.js';

/**
 * Cluster mode runs on an engine of the test's own (scripts/second-engine.sh), never on the
 * engine other platforms share: Swarm mode there would change every platform's networking. The
 * platform keeps its state in the test platform's PostgreSQL and Temporal, so it starts quickly.
 */
test(
  'roro server up --cluster turns Swarm mode on and remembers it; a second engine joins with the nodes:join command; nodes, nodes:drain and nodes:activate, admin only, with errors naming the fix',
  { timeout: 900_000 },
  async (t) => {
    const { engine, second } = await platformOnOwnEngine(150);
    t.after(async () => {
      await second.remove();
      await engine.down();
      // The manager's engine was made to trust the registry there, by `server up --cluster`.
      fs.rmSync(path.dirname(engineTrustPath(`${engine.hostIp}:${second.env.ports.registry}`)), {
        recursive: true,
        force: true,
      });
    });
    const cli = second.cli;

    const up = await cli(['server', 'up', '--cluster']);
    assert.equal(up.code, 0, up.stderr);
    assert.match(up.stderr, /cluster mode: Docker Swarm/);
    const info = await engine.docker.info();
    assert.equal(info.Swarm.LocalNodeState, 'active');
    assert.equal(info.Swarm.ControlAvailable, true);
    assert.ok(
      fs.existsSync(path.join(second.home, 'cluster.json')),
      'cluster mode is remembered in RORO_HOME',
    );
    const log = fs.readFileSync(path.join(second.home, 'logs', 'supervisor.log'), 'utf8');
    assert.match(log, /cluster mode: initialised Swarm mode on the engine/);

    const base = second.env.apiUrl;
    const password = process.env.RORO_ADMIN_PASSWORD!;
    const admin = await login(process.env.RORO_ADMIN_EMAIL!, password, base);
    const as = (token: string) => ({ RORO_TOKEN: token });

    const listed = await cli(['nodes', '--json'], as(admin));
    assert.equal(listed.code, 0, listed.stderr);
    const nodes = JSON.parse(listed.stdout).nodes;
    assert.equal(nodes.length, 1);
    const [node] = nodes;
    assert.equal(node.id, info.Swarm.NodeID);
    assert.deepEqual(
      [node.role, node.state, node.availability, node.leader, node.self, node.containers],
      ['manager', 'ready', 'active', true, true, 0],
    );
    assert.ok(node.cpus > 0 && node.memoryBytes > 0, JSON.stringify(node));
    const table = await cli(['nodes'], as(admin));
    assert.match(table.stdout, /^ID +HOSTNAME +ROLE +STATE +AVAILABILITY +CPUS +MEMORY +CONTAINERS$/m);
    assert.match(table.stdout, /manager \(leader\) +ready +active/);

    const join = await cli(['nodes:join'], as(admin));
    assert.equal(join.code, 0, join.stderr);
    const registryUrl = `https://${engine.hostIp}:${second.env.ports.registry}`;
    assert.match(
      join.stdout,
      new RegExp(`^mkdir -p /etc/docker/certs\\.d/${engine.hostIp.replace(/\./g, '\\.')}:\\d+ `, 'm'),
    );
    assert.match(join.stdout, /^-----BEGIN CERTIFICATE-----$/m);
    assert.match(join.stdout, /docker login \S+ --username roro-node --password-stdin$/m);
    const rows0 = JSON.parse((await cli(['server', 'status', '--json'])).stdout).components;
    assert.deepEqual(
      rows0
        .filter((r: { name: string }) => r.name === 'registry')
        .map((r: { status: string; url: string }) => [r.status, r.url]),
      [['up', registryUrl]],
    );
    assert.match(
      join.stdout,
      new RegExp(
        `^docker swarm join --token SWMTKN-1-\\S+ ${engine.nodeIp.replace(/\./g, '\\.')}:2377$`,
        'm',
      ),
    );

    // Only admins see or change the cluster; the join token is a secret.
    const user = (await newUserOn(base)).token;
    for (const args of [['nodes'], ['nodes:join'], ['nodes:drain', node.hostname]]) {
      const refused = await cli(args, as(user));
      assert.equal(refused.code, 1, `${args.join(' ')}: ${refused.stderr}`);
      assert.match(refused.stderr, /admin/i);
    }

    const alone = await cli(['nodes:drain', node.hostname], as(admin));
    assert.equal(alone.code, 1);
    assert.match(alone.stderr, /is the only active node: drained, its services would have nowhere to run\./);
    assert.match(alone.stderr, /roro nodes:join.*--force/);
    const unknown = await cli(['nodes:drain', 'no-such-node'], as(admin));
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /No node no-such-node in the cluster\.\nRun `roro nodes`/);
    const drained = await cli(['nodes:drain', node.id.slice(0, 8), '--force'], as(admin));
    assert.equal(drained.code, 0, drained.stderr);
    assert.equal((await engine.docker.getNode(node.id).inspect()).Spec.Availability, 'drain');
    const active = await cli(['nodes:activate', node.hostname], as(admin));
    assert.equal(active.code, 0, active.stderr);
    assert.equal((await engine.docker.getNode(node.id).inspect()).Spec.Availability, 'active');

    // A second engine joins with the printed command, as a worker.
    const engine2 = await startSecondEngine(1);
    const registry = `${engine.hostIp}:${second.env.ports.registry}`;
    t.after(() => engine2.down());
    await engine.link(engine2);
    // Everything nodes:join printed, run on the new host: the swarm join, the registry's CA, the login.
    // The new host's docker CLI keeps its login in a config of its own, not in this machine's.
    const dockerConfig = fs.mkdtempSync(path.join(os.tmpdir(), 'roro-node2-cli-'));
    t.after(() => fs.rmSync(dockerConfig, { recursive: true, force: true }));
    const onNode2 = {
      env: { ...process.env, DOCKER_HOST: engine2.dockerHost, DOCKER_CONFIG: dockerConfig },
      timeout: 60_000,
    };
    const joined = await engine2.shell(join.stdout, { DOCKER_CONFIG: dockerConfig });
    assert.match(joined.stdout, /This node joined a swarm as a worker\./);
    assert.match(joined.stdout, /Login Succeeded/);
    const wrong = await exec(
      'sh',
      ['-c', `echo wrong | docker login ${registry} --username roro-node --password-stdin`],
      onNode2,
    ).then(
      () => 'accepted',
      (err: Error & { stderr?: string }) => err.stderr ?? err.message,
    );
    assert.match(wrong, /unauthorized|401/i);
    let two: { id: string; role: string; state: string; self: boolean; availability: string }[] = [];
    await waitFor(
      async () => {
        try {
          two = JSON.parse((await cli(['nodes', '--json'], as(admin))).stdout).nodes;
        } catch {
          return false;
        }
        return two.length === 2 && two.every((n) => n.state === 'ready');
      },
      { timeoutMs: 60_000, intervalMs: 1000 },
    );
    const worker = two.find((n) => !n.self)!;
    assert.deepEqual([worker.role, worker.availability], ['worker', 'active']);
    // Both engines run on this machine under one hostname: a hostname that names two nodes is refused.
    const ambiguous = await cli(['nodes:drain', node.hostname], as(admin));
    assert.equal(ambiguous.code, 1);
    assert.match(ambiguous.stderr, /names 2 nodes .*\nGive the node id from `roro nodes` instead\./);
    const drainWorker = await cli(['nodes:drain', worker.id.slice(0, 10)], as(admin));
    assert.equal(drainWorker.code, 0, drainWorker.stderr);
    assert.equal((await engine.docker.getNode(worker.id).inspect()).Spec.Availability, 'drain');
    const status = await cli(['server', 'status', '--json']);
    const cluster = JSON.parse(status.stdout).components.find((c: { name: string }) => c.name === 'cluster');
    assert.equal(cluster.url, 'swarm of 2 nodes');
    assert.match(cluster.detail, /2 ready; not taking work: .* \(ready, drain\)/);
    assert.equal((await cli(['nodes:activate', worker.id], as(admin))).code, 0);

    // A platform started in cluster mode on the worker's engine is refused, with the fix.
    const third = await secondPlatform(170, { DOCKER_HOST: engine2.dockerHost });
    try {
      const refused = await third.cli(['server', 'up', '--cluster']);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /is already a worker node of another swarm; roro must run on a manager\./);
      assert.match(refused.stderr, /docker swarm leave/);
      assert.ok(
        !fs.existsSync(path.join(third.home, 'cluster.json')),
        'a refused start does not remember cluster mode',
      );
    } finally {
      await third.remove();
    }

    // Remembered: a start without --cluster is in cluster mode, on the same swarm.
    assert.equal((await cli(['server', 'down'])).code, 0);
    const again = await cli(['server', 'up', '--json']);
    assert.equal(again.code, 0, again.stderr);
    const rows = JSON.parse(again.stdout).components as { name: string; status: string; url: string }[];
    assert.deepEqual(
      rows.filter((r) => r.name === 'cluster').map((r) => [r.status, r.url]),
      [['up', 'swarm of 2 nodes']],
    );
    assert.match(
      fs.readFileSync(path.join(second.home, 'logs', 'supervisor.log'), 'utf8'),
      /cluster mode: using the swarm this engine manages/,
    );

    // An engine taken out of Swarm mode behind the platform's back: the error says how to fix it.
    await engine.docker.swarmLeave({ force: true });
    const out = await cli(['nodes'], as(admin));
    assert.equal(out.code, 1);
    assert.match(
      out.stderr,
      /is not in Swarm mode \(inactive\)\.\nStart the platform with `roro server up --cluster`/,
    );
  },
);

test('a platform not in cluster mode answers /v1/nodes with 409 naming --cluster', async () => {
  const admin = await adminLogin();
  const res = await api('GET', '/v1/nodes', { token: admin });
  assert.equal(res.status, 409);
  assert.equal(res.body.error.code, 'conflict');
  assert.match(res.body.error.message, /does not run in cluster mode/);
  assert.match(res.body.error.hint, /roro server up --cluster/);
});

const exec = promisify(execFile);

/** A fresh non-admin user of the second platform. */
async function newUserOn(base: string): Promise<{ token: string }> {
  const admin = await login(process.env.RORO_ADMIN_EMAIL!, process.env.RORO_ADMIN_PASSWORD!, base);
  const email = `nodes-${Date.now()}@example.com`;
  const res = await api('POST', '/v1/users', {
    token: admin,
    body: { email, password: 'Another-pass-123' },
    baseUrl: base,
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return { token: await login(email, 'Another-pass-123', base) };
}
