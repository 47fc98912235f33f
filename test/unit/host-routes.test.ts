import { test } from 'node:test';
import assert from 'node:assert/strict';
import { overlapsRoute, parseRoutes } from '../../containers/host-routes.js';

const TABLE = `Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0
eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
br-caae58be512d\t005FC80A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
wg0\t0000C90A\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0
`;

test('host routes: the kernel table is read without the default route', () => {
  const routes = parseRoutes(TABLE);
  assert.deepEqual(
    routes.map((r) => r.iface),
    ['eth0', 'br-caae58be512d', 'wg0'],
  );
  assert.equal(routes[1]!.net, (10 << 24) + (200 << 16) + (95 << 8));
});

test('host routes: a subnet overlaps a route that contains it, is contained in it, or is it', () => {
  const routes = parseRoutes(TABLE);
  assert.equal(overlapsRoute('10.200.95.0/24', routes), true);
  assert.equal(overlapsRoute('10.201.7.0/24', routes), true, 'inside wg0 10.201.0.0/16');
  assert.equal(overlapsRoute('10.200.0.0/14', routes), true, 'contains the routes');
  assert.equal(overlapsRoute('10.200.96.0/24', routes), false);
  assert.equal(overlapsRoute('10.202.0.0/24', routes), false);
  assert.equal(overlapsRoute('192.0.3.0/24', routes), false);
});
