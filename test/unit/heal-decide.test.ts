import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decideHealing,
  PROBE_FAILURES_TO_DROP,
  replaceDelayMs,
  STABLE_MS,
  startDelayMs,
  type ContainerMemory,
  type HealInput,
  type SeenContainer,
  type ServiceMemory,
  type WantedService,
} from '../../platform/heal/decide.js';

const service = (over: Partial<WantedService> = {}): WantedService => ({
  projectId: '1',
  project: 'shop',
  service: 'default',
  deployId: 'd1',
  instances: 2,
  routeDeployId: 'd1',
  routeUpstreams: ['127.0.0.1:1001', '127.0.0.1:1002'],
  deployRunning: false,
  ...over,
});

const container = (id: string, state: string, port?: number, deploy = 'd1'): SeenContainer => ({
  id,
  state,
  ...(port ? { hostPort: port } : {}),
  labels: {
    'roro.project': 'shop',
    'roro.service': 'default',
    'roro.deploy': deploy,
    'roro.health-path': '/_health',
  },
});

function world(services: WantedService[], containers: SeenContainer[], probes: Record<string, boolean> = {}) {
  const containerMemory = new Map<string, ContainerMemory>();
  const serviceMemory = new Map<string, ServiceMemory>();
  const input = (now: number, over: Partial<HealInput> = {}): HealInput => ({
    services,
    containers,
    probes: new Map(Object.entries(probes)),
    dying: new Set(),
    containerMemory,
    serviceMemory,
    now,
    ...over,
  });
  return { input, containerMemory, serviceMemory };
}

test('healthy instances that the route serves need nothing', () => {
  const w = world([service()], [container('a', 'running', 1001), container('b', 'running', 1002)], {
    a: true,
    b: true,
  });
  const d = decideHealing(w.input(0));
  assert.deepEqual(d.actions, []);
  assert.equal(d.settling, false);
  assert.deepEqual(d.reports[0], {
    project: 'shop',
    service: 'default',
    desired: 2,
    healthPath: '/_health',
    status: 'running',
    running: 2,
    ready: 2,
    restarting: 0,
  });
});

test('a killed instance leaves the route at once and is started again', () => {
  const w = world([service()], [container('a', 'running', 1001), container('b', 'exited')], { a: true });
  const d = decideHealing(w.input(0));
  assert.deepEqual(
    d.actions.map((a) => a.kind),
    ['start', 'route'],
  );
  const route = d.actions.find((a) => a.kind === 'route');
  assert.deepEqual(route && 'upstreams' in route ? route.upstreams : undefined, ['127.0.0.1:1001']);
  assert.equal(d.reports[0]!.status, 'degraded');
  assert.equal(d.settling, true);
});

test('a die event takes an instance out of the route before the listing shows it stopped', () => {
  const w = world([service()], [container('a', 'running', 1001), container('b', 'running', 1002)], {
    a: true,
    b: true,
  });
  const d = decideHealing(w.input(0, { dying: new Set(['b']) }));
  const route = d.actions.find((a) => a.kind === 'route');
  assert.deepEqual(route && 'upstreams' in route ? route.upstreams : undefined, ['127.0.0.1:1001']);
  // Not started while the engine may still be tearing it down; the next sweep comes soon.
  assert.equal(
    d.actions.some((a) => a.kind === 'start'),
    false,
  );
  assert.equal(d.settling, true);
});

test('a restarted instance joins the route on its new port only after its probe answers', () => {
  const s = service({ instances: 1, routeUpstreams: [] });
  const w = world([s], [container('a', 'running', 1009)], { a: false });
  let d = decideHealing(w.input(0));
  assert.deepEqual(d.actions, []); // the route is already empty
  assert.equal(d.reports[0]!.status, 'down');
  const w2 = world([s], [container('a', 'running', 1009)], { a: true });
  d = decideHealing(w2.input(0));
  const route = d.actions.find((a) => a.kind === 'route');
  assert.deepEqual(route && 'upstreams' in route ? route.upstreams : undefined, ['127.0.0.1:1009']);
});

test('one slow probe does not drop a serving instance; several in a row do', () => {
  const s = service({ instances: 1, routeUpstreams: ['127.0.0.1:1001'] });
  const w = world([s], [container('a', 'running', 1001)], { a: false });
  for (let i = 1; i < PROBE_FAILURES_TO_DROP; i++) {
    assert.deepEqual(decideHealing(w.input(i)).actions, [], `failure ${i} keeps the route`);
  }
  const d = decideHealing(w.input(PROBE_FAILURES_TO_DROP));
  const route = d.actions.find((a) => a.kind === 'route');
  assert.deepEqual(route && 'upstreams' in route ? route.upstreams : undefined, []);
});

test('an instance that keeps dying is started with a growing back-off, not in a tight loop', () => {
  const s = service({ instances: 1, routeUpstreams: [] });
  const w = world([s], [container('a', 'exited')]);
  const startsAt: number[] = [];
  for (let t = 0; t <= 120_000; t += 500) {
    if (decideHealing(w.input(t)).actions.some((a) => a.kind === 'start')) startsAt.push(t);
  }
  assert.equal(startsAt[0], 0, 'the first start is immediate');
  const gaps = startsAt.slice(1).map((t, i) => t - startsAt[i]!);
  for (let i = 1; i < gaps.length; i++) assert.ok(gaps[i]! >= gaps[i - 1]!, `gaps grow: ${gaps.join(',')}`);
  assert.ok(startsAt.length <= 10, `${startsAt.length} starts in two minutes`);
  assert.ok(gaps.at(-1)! <= 60_000);
});

test('an instance stable for a while starts its back-off from zero again', () => {
  const s = service({ instances: 1, routeUpstreams: [] });
  const containers = [container('a', 'exited')];
  const w = world([s], containers);
  decideHealing(w.input(0));
  decideHealing(w.input(2000));
  assert.equal(w.containerMemory.get('a')!.starts, 2);
  containers[0] = container('a', 'running', 1001);
  decideHealing(w.input(3000, { probes: new Map([['a', true]]) }));
  decideHealing(w.input(3000 + STABLE_MS, { probes: new Map([['a', true]]) }));
  assert.equal(w.containerMemory.get('a')!.starts, 0);
});

test('containers the engine is restarting itself are left to it', () => {
  const w = world([service({ instances: 1, routeUpstreams: [] })], [container('a', 'restarting')]);
  const d = decideHealing(w.input(0));
  assert.deepEqual(d.actions, []);
  assert.equal(d.reports[0]!.restarting, 1);
});

test('missing containers are rolled out again, with a back-off between attempts', () => {
  const w = world([service()], [container('a', 'running', 1001)], { a: true });
  const d = decideHealing(w.input(0));
  const replace = d.actions.find((a) => a.kind === 'replace');
  assert.ok(replace && replace.kind === 'replace');
  assert.equal(replace.missing, 1);
  assert.equal(
    decideHealing(w.input(1000)).actions.some((a) => a.kind === 'replace'),
    false,
  );
  assert.equal(
    decideHealing(w.input(replaceDelayMs(1))).actions.some((a) => a.kind === 'replace'),
    true,
  );
});

test('a project whose deploy is running is left alone', () => {
  const w = world([service({ deployRunning: true })], [container('b', 'exited')]);
  const d = decideHealing(w.input(0));
  assert.deepEqual(d.actions, []);
  assert.equal(d.reports[0]!.status, 'deploying');
});

test('containers of other rollouts are neither started nor routed', () => {
  const w = world(
    [service({ instances: 1, routeUpstreams: ['127.0.0.1:1001'] })],
    [container('a', 'running', 1001), container('old', 'exited', undefined, 'd0')],
    { a: true },
  );
  assert.deepEqual(decideHealing(w.input(0)).actions, []);
});

test('a route left on another rollout is pointed back at the serving one', () => {
  const w = world(
    [service({ instances: 1, routeDeployId: 'd0', routeUpstreams: ['127.0.0.1:999'] })],
    [container('a', 'running', 1001)],
    { a: true },
  );
  const route = decideHealing(w.input(0)).actions.find((a) => a.kind === 'route');
  assert.ok(route && route.kind === 'route');
  assert.deepEqual([route.deployId, route.upstreams], ['d1', ['127.0.0.1:1001']]);
});

test('back-off schedules', () => {
  assert.equal(startDelayMs(1), 0);
  assert.equal(startDelayMs(2), 2000);
  assert.equal(startDelayMs(30), 60_000);
  assert.equal(replaceDelayMs(1), 10_000);
  assert.equal(replaceDelayMs(20), 300_000);
});
