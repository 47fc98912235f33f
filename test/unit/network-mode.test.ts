import { test } from 'node:test';
import assert from 'node:assert/strict';
import type Docker from 'dockerode';
import { ensureNetwork } from '../../containers/local-networks.js';

/** An engine that has one network, of the given driver, and records creations. */
function engineWith(driver: string) {
  const created: unknown[] = [];
  const docker = {
    getNetwork: () => ({ inspect: async () => ({ Driver: driver }) }),
    createNetwork: async (opts: unknown) => {
      created.push(opts);
    },
  } as unknown as Docker;
  return { docker, created };
}

const spec = { name: 'roro-shop', labels: { 'roro.project': 'shop' }, subnets: ['10.240.1.0/24'] };

test('a network of the mode in use is reused as it is', async () => {
  const { docker, created } = engineWith('overlay');
  await ensureNetwork(docker, spec, 'overlay');
  assert.equal(created.length, 0);
});

test("a project's bridge from before cluster mode is refused with the way out, not joined", async () => {
  const { docker, created } = engineWith('bridge');
  await assert.rejects(
    ensureNetwork(docker, spec, 'overlay'),
    (err: Error & { hint?: string; status?: number }) => {
      assert.match(
        err.message,
        /Network roro-shop is a bridge network, made before the platform entered cluster mode/,
      );
      assert.match(err.hint ?? '', /docker network rm roro-shop/);
      assert.match(err.hint ?? '', /label=roro\.project=shop/);
      assert.equal(err.status, 409);
      return true;
    },
  );
  assert.equal(created.length, 0);
});
