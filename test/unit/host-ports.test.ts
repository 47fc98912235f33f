import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HOST_PORT_MAX, HOST_PORT_MIN, pickHostPort, portInUse } from '../../containers/host-ports.js';

test('a host port is picked at random in the range, skipping taken ones', () => {
  assert.equal(
    pickHostPort(new Set(), () => 0),
    HOST_PORT_MIN,
  );
  assert.equal(
    pickHostPort(new Set([HOST_PORT_MIN, HOST_PORT_MIN + 1]), () => 0),
    HOST_PORT_MIN + 2,
  );
  // The search wraps around the end of the range.
  const size = HOST_PORT_MAX - HOST_PORT_MIN + 1;
  assert.equal(
    pickHostPort(new Set([HOST_PORT_MAX]), () => size - 1),
    HOST_PORT_MIN,
  );
  const all = new Set(Array.from({ length: size }, (_, i) => HOST_PORT_MIN + i));
  assert.equal(pickHostPort(all), undefined);
  for (let i = 0; i < 100; i++) {
    const p = pickHostPort(new Set())!;
    assert.ok(p >= HOST_PORT_MIN && p <= HOST_PORT_MAX);
  }
  // Below the kernel's ephemeral ports, where Docker's own picks and outgoing connections live.
  assert.ok(HOST_PORT_MAX < 32768);
});

test("Docker's refusals of a taken port are recognised, and nothing else is", () => {
  assert.ok(
    portInUse(
      new Error(
        'driver failed programming external connectivity: Bind for 127.0.0.1:20001 failed: port is already allocated',
      ),
    ),
  );
  assert.ok(portInUse(new Error('listen tcp4 127.0.0.1:20001: bind: address already in use')));
  assert.ok(!portInUse(new Error('No such image: x')));
});
