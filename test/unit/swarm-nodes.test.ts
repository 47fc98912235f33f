import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  nodeAddress,
  nodeReach,
  spreadConstraints,
  takesWork,
  withoutSpread,
  type NodeView,
} from '../../containers/swarm-nodes.js';

const node = (
  ID: string,
  o: { state?: string; availability?: string; addr?: string; manager?: string } = {},
): NodeView => ({
  ID,
  Spec: { Availability: o.availability ?? 'active' },
  Status: { State: o.state ?? 'ready', Addr: o.addr ?? '10.0.0.9' },
  ...(o.manager ? { ManagerStatus: { Addr: o.manager } } : {}),
});

test('a node is reached at the address it reports; a manager reporting 0.0.0.0 at its manager address', () => {
  assert.equal(nodeAddress(node('a', { addr: '10.1.2.3' })), '10.1.2.3');
  assert.equal(nodeAddress(node('m', { addr: '0.0.0.0', manager: '192.168.1.5:2377' })), '192.168.1.5');
  assert.equal(nodeAddress(node('m', { addr: '', manager: '192.168.1.5:2377' })), '192.168.1.5');
  assert.equal(nodeAddress(node('x', { addr: '0.0.0.0' })), undefined);
  assert.equal(nodeAddress(node('x', { addr: 'fe80::1' })), undefined);
});

test('only ready, active nodes take work', () => {
  assert.equal(takesWork(node('a')), true);
  assert.equal(takesWork(node('a', { availability: 'drain' })), false);
  assert.equal(takesWork(node('a', { availability: 'pause' })), false);
  assert.equal(takesWork(node('a', { state: 'down' })), false);
});

test('a new replica avoids its siblings’ nodes while another node takes work', () => {
  const nodes = [node('m'), node('w1'), node('w2')];
  assert.deepEqual(spreadConstraints(nodes, new Set()), [], 'no sibling: Swarm chooses');
  assert.deepEqual(spreadConstraints(nodes, new Set(['m'])), ['node.id!=m']);
  assert.deepEqual(spreadConstraints(nodes, new Set(['m', 'w1'])), ['node.id!=m', 'node.id!=w1']);
  // Every node that takes work has one: more replicas than nodes, Swarm chooses.
  assert.deepEqual(spreadConstraints(nodes, new Set(['m', 'w1', 'w2'])), []);
  // A drained or lost node is no place to go: with the manager holding a sibling, nothing is left.
  const drained = [node('m'), node('w1', { availability: 'drain' }), node('w2', { state: 'down' })];
  assert.deepEqual(spreadConstraints(drained, new Set(['m'])), []);
  // A sibling on a node that no longer takes work does not count against the others.
  assert.deepEqual(spreadConstraints(drained, new Set(['w1'])), []);
});

test('the spreading constraints come off, the others stay', () => {
  assert.deepEqual(withoutSpread(['node.id!=a', 'node.id==m', 'node.labels.x==y', 'node.id != b']), [
    'node.id==m',
    'node.labels.x==y',
  ]);
});

test('a task’s port is reached at its node’s address; on the manager without one at loopback; elsewhere not at all', () => {
  const nodes = [
    node('m', { addr: '0.0.0.0' }),
    node('w1', { addr: '10.0.0.2' }),
    node('w6', { addr: 'fe80::2' }),
  ];
  assert.deepEqual(nodeReach('w1', nodes, 'm'), { reachable: true, address: '10.0.0.2' });
  assert.deepEqual(nodeReach('m', nodes, 'm'), { reachable: true });
  assert.deepEqual(nodeReach('w6', nodes, 'm'), { reachable: false });
  assert.deepEqual(nodeReach(undefined, nodes, 'm'), { reachable: false });
});
