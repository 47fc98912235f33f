import { test } from 'node:test';
import assert from 'node:assert/strict';
import { projectNetwork, projectNetworkLabels } from '../../domain/project-network.js';

test('a project network is named by platform and project id, with labels that find it for removal', () => {
  const net = projectNetwork('/srv/roro', { id: '7', name: 'credit-risk' });
  assert.match(net.name, /^roro-[0-9a-f]{10}-p7$/);
  assert.deepEqual(net.labels, projectNetworkLabels('/srv/roro', 'credit-risk'));
  assert.equal(projectNetwork('/srv/roro', { id: '7', name: 'renamed' }).name, net.name);
  assert.notEqual(projectNetwork('/srv/other', { id: '7', name: 'credit-risk' }).name, net.name);
  assert.notEqual(projectNetwork('/srv/roro', { id: '8', name: 'credit-risk' }).name, net.name);
});

test('subnet candidates: every /24 of 10.200.0.0/14 once, starting at a place that differs by project', () => {
  const { subnets } = projectNetwork('/srv/roro', { id: '7', name: 'p' });
  assert.equal(subnets.length, 1024);
  assert.equal(new Set(subnets).size, 1024);
  for (const s of subnets) assert.match(s, /^10\.20[0-3]\.\d{1,3}\.0\/24$/);
  const firsts = new Set(
    ['1', '2', '3', '4', '5'].map((id) => projectNetwork('/srv/roro', { id, name: id }).subnets[0]),
  );
  assert.ok(firsts.size >= 4, 'projects start their search at different subnets');
  assert.deepEqual(projectNetwork('/srv/roro', { id: '7', name: 'p' }).subnets, subnets);
});
