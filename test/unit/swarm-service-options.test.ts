import { test } from 'node:test';
import assert from 'node:assert/strict';
import type Docker from 'dockerode';
import type { ContainerSpec } from '../../containers/driver.js';
import {
  imageFromRegistry,
  pinnedToManager,
  swarmServiceOptions,
  RESERVED_SHARE,
} from '../../containers/swarm-service-options.js';
import {
  newestTask,
  serviceState,
  taskExitCode,
  taskRan,
  taskRefused,
} from '../../containers/swarm-tasks.js';

const GiB = 1024 ** 3;
const manager = { managerNodeId: 'mgr123', routingMesh: true };

const service: ContainerSpec = {
  image: `10.0.0.1:5000/roro/app-credit-risk@sha256:${'a'.repeat(64)}`,
  name: 'roro-credit-risk-web-1',
  cmd: ['python', '-m', 'server'],
  env: { A: '1', RORO_API_TOKEN: 'secret' },
  labels: { 'roro.project': 'credit-risk', 'roro.service': 'web' },
  workdir: '/app',
  port: 8080,
  limits: { cpus: 0.5, memoryBytes: GiB },
  restart: 'unless-stopped',
  mounts: [{ source: '/srv/roro/run/api', target: '/run/roro', readOnly: true, optional: true }],
  network: { name: 'roro-abc-p7', labels: {}, subnets: ['10.200.1.0/24'] },
};

const task = (o: Partial<ContainerSpec> = {}) =>
  swarmServiceOptions({ ...service, ...o }, 23456, manager).TaskTemplate as Docker.ContainerTaskSpec;

test('a service becomes one replica named like the container, with the roro labels on the service and its task containers', () => {
  const opts = swarmServiceOptions(service, 23456, manager);
  assert.equal(opts.Name, 'roro-credit-risk-web-1');
  assert.deepEqual(opts.Mode, { Replicated: { Replicas: 1 } });
  const labels = {
    'roro.managed': 'true',
    'roro.project': 'credit-risk',
    'roro.service': 'web',
    'roro.host-port': '23456',
  };
  assert.deepEqual(opts.Labels, labels);
  const spec = task().ContainerSpec!;
  assert.deepEqual(spec.Labels, labels);
  assert.equal(spec.Image, service.image);
  // Args keep the image's ENTRYPOINT, as the local driver's Cmd does.
  assert.deepEqual(spec.Args, ['python', '-m', 'server']);
  assert.equal(spec.Command, undefined);
  assert.deepEqual(spec.Env, ['A=1', 'RORO_API_TOKEN=secret']);
  assert.equal(spec.Dir, '/app');
  assert.equal(spec.User, '1000:1000');
  assert.equal(spec.Init, true);
  assert.deepEqual(spec.CapabilityDrop, ['ALL']);
  assert.deepEqual(task().Networks, [{ Target: 'roro-abc-p7' }]);
  assert.deepEqual(task().LogDriver, { Name: 'json-file', Options: { 'max-size': '20m', 'max-file': '3' } });
});

test('the roro-picked host port is published in ingress mode, so every node answers on it', () => {
  assert.deepEqual(swarmServiceOptions(service, 23456, manager).EndpointSpec, {
    Mode: 'vip',
    Ports: [{ Protocol: 'tcp', TargetPort: 8080, PublishedPort: 23456, PublishMode: 'ingress' }],
  });
  const job = swarmServiceOptions({ ...service, port: undefined }, undefined, manager);
  assert.deepEqual(job.EndpointSpec, { Mode: 'vip' });
  assert.equal(job.Labels?.['roro.host-port'], undefined);
});

test('without the routing mesh (no IPVS) a port is published on the task’s own node, which may be any', () => {
  const noMesh = { managerNodeId: 'mgr123', routingMesh: false };
  const opts = swarmServiceOptions(service, 23456, noMesh);
  assert.deepEqual(opts.EndpointSpec, {
    Mode: 'dnsrr',
    Ports: [{ Protocol: 'tcp', TargetPort: 8080, PublishedPort: 23456, PublishMode: 'host' }],
  });
  const t = opts.TaskTemplate as Docker.ContainerTaskSpec;
  assert.deepEqual(t.Placement, {});
  // Not pinned, it leaves out the platform's optional mounts, which other nodes do not hold.
  assert.equal(t.ContainerSpec!.Mounts!.length, 0);
  const job = swarmServiceOptions({ ...service, port: undefined, mounts: [] }, undefined, noMesh);
  assert.deepEqual(job.EndpointSpec, { Mode: 'dnsrr' });
  assert.deepEqual((job.TaskTemplate as Docker.ContainerTaskSpec).Placement, {});
});

test('an image named without a registry is on the manager only: its task is pinned there', () => {
  assert.equal(imageFromRegistry('roro/base:bookworm'), false);
  assert.equal(imageFromRegistry('roro/app-x:abc'), false);
  assert.equal(imageFromRegistry('10.0.0.1:5000/roro/app-x@sha256:abc'), true);
  assert.equal(imageFromRegistry('registry.example.com/roro/app-x:1'), true);
  assert.equal(imageFromRegistry('localhost/roro/app-x:1'), true);
  const t = task({ image: 'roro/base:bookworm' });
  assert.deepEqual(t.Placement, { Constraints: ['node.id==mgr123'] });
  assert.equal(pinnedToManager({ ...service, image: 'roro/base:bookworm' }), true);
  assert.equal(pinnedToManager(service), false);
});

test('a replica kept off its siblings’ nodes carries the avoid constraints, unless it is pinned', () => {
  const avoid = ['node.id!=w1'];
  const spread = swarmServiceOptions(service, 23456, { ...manager, avoid })
    .TaskTemplate as Docker.ContainerTaskSpec;
  assert.deepEqual(spread.Placement, { Constraints: avoid });
  const pinned = swarmServiceOptions({ ...service, image: 'roro/x:1' }, 23456, { ...manager, avoid })
    .TaskTemplate as Docker.ContainerTaskSpec;
  assert.deepEqual(pinned.Placement, { Constraints: ['node.id==mgr123'] });
});

test('sizes become limits, and reservations of a share of them', () => {
  const r = task({ limits: { cpus: 2, memoryBytes: 4 * GiB } }).Resources!;
  assert.deepEqual(r.Limits, { NanoCPUs: 2e9, MemoryBytes: 4 * GiB, Pids: 4096 });
  assert.deepEqual(r.Reservations, { NanoCPUs: 2e9 * RESERVED_SHARE, MemoryBytes: 4 * GiB * RESERVED_SHARE });
});

test('restart unless-stopped becomes condition any; no (jobs, notebooks) becomes a one-shot task', () => {
  assert.equal(task().RestartPolicy?.Condition, 'any');
  assert.deepEqual(task({ restart: 'no' }).RestartPolicy, { Condition: 'none', MaxAttempts: 0 });
  assert.equal(task({ restart: undefined }).RestartPolicy?.Condition, 'none');
});

test('a container mounting a volume is pinned to the manager that holds the files, and keeps every mount', () => {
  const withVolume = task({
    mounts: [{ source: '/srv/roro/volumes/7/data', target: '/volumes/data' }, ...service.mounts!],
  });
  assert.deepEqual(withVolume.Placement, { Constraints: ['node.id==mgr123'] });
  assert.deepEqual(
    withVolume.ContainerSpec!.Mounts!.map((m) => [m.Type, m.Source, m.Target, m.ReadOnly]),
    [
      ['bind', '/srv/roro/volumes/7/data', '/volumes/data', false],
      ['bind', '/srv/roro/run/api', '/run/roro', true],
    ],
  );
});

test('a container without volumes runs on any node, and leaves out the optional platform mounts', () => {
  const free = task();
  assert.deepEqual(free.Placement, {});
  assert.deepEqual(free.ContainerSpec!.Mounts, []);
});

const t = (id: string, created: string, state: string, extra: Record<string, unknown> = {}) => ({
  ID: id,
  CreatedAt: created,
  Status: { State: state, ...extra },
});

test("a service's state, exit code and restarts are its newest task's", () => {
  const crashed = t('a', '2026-01-01T00:00:01Z', 'failed', {
    ContainerStatus: { ContainerID: 'c1', ExitCode: 3 },
  });
  const again = t('b', '2026-01-01T00:00:05Z', 'starting');
  assert.equal(newestTask([crashed, again])?.ID, 'b');
  // The engine writes fractions with as many digits as they need: .51 is after .5.
  const at5 = t('c', '2026-01-01T00:00:05.5Z', 'failed');
  const at51 = t('d', '2026-01-01T00:00:05.51Z', 'starting');
  assert.equal(newestTask([at5, at51])?.ID, 'd');
  assert.equal(newestTask([at51, at5])?.ID, 'd');
  assert.equal(serviceState(again, 1, 1), 'restarting');
  assert.equal(serviceState(again, 0, 1), 'created');
  assert.equal(serviceState(undefined, 0, 1), 'created');
  assert.equal(serviceState(undefined, 0, 0), 'exited');
  assert.equal(serviceState(t('c', 'x', 'running'), 0, 1), 'running');
  assert.equal(serviceState(crashed, 0, 1), 'exited');
  assert.equal(taskExitCode(crashed), 3);
  assert.equal(taskExitCode(t('d', 'x', 'complete')), 0);
  assert.equal(taskExitCode(again), undefined);
  assert.equal(serviceState(t('e', 'x', 'rejected'), 0, 1), 'dead');
});

test('a task that never ran is refused with Swarm’s reason; one that ran and failed is not', () => {
  const ran = t('a', 'x', 'failed', { ContainerStatus: { ContainerID: 'c1', ExitCode: 1 } });
  assert.equal(taskRan(ran), true);
  assert.equal(taskRefused(ran), undefined);
  const rejected = t('b', 'x', 'rejected', { Err: 'No such image: roro/x:1' });
  assert.equal(taskRan(rejected), false);
  assert.equal(taskRefused(rejected), 'No such image: roro/x:1');
  assert.equal(taskRefused(t('c', 'x', 'pending', { Err: 'no suitable node' })), undefined);
});
