import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planServices, type PlanInput } from '../../activities/plan.js';
import { parseRoroYml } from '../../core/roro-yml.js';
import { RoroError } from '../../core/errors.js';

const volumes = [
  { source: '/srv/roro/volumes/7/data', target: '/volumes/data' },
  { source: '/srv/roro/volumes/7/notebooks', target: '/volumes/notebooks' },
];

const plan = (service: string): PlanInput => ({
  project: 'p',
  release: 1,
  deployId: 'd1',
  config: parseRoroYml(`project: pp\nservices:\n  - name: default\n    function: m.f\n${service}`),
  volumes,
  env: {},
  host: { cpus: 2, memoryBytes: 4 * 1024 ** 3 },
});

test('a service mounts every project volume unless its volumes: names some, or none', () => {
  assert.deepEqual(planServices(plan(''))[0]!.container.mounts, volumes);
  assert.deepEqual(planServices(plan('    volumes: [notebooks]\n'))[0]!.container.mounts, [volumes[1]]);
  assert.deepEqual(planServices(plan('    volumes: []\n'))[0]!.container.mounts, []);
});

test('a service naming a volume the project lacks is refused with the command that makes it', () => {
  assert.throws(
    () => planServices(plan('    volumes: [models]\n')),
    (err: unknown) =>
      err instanceof RoroError &&
      err.status === 422 &&
      err.code === 'unknown_volume' &&
      /Service default mounts volume models, which the project does not have\./.test(err.message) &&
      /roro volumes:add models/.test(err.hint ?? ''),
  );
});
