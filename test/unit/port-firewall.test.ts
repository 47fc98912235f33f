import { test } from 'node:test';
import assert from 'node:assert/strict';
import { publishedPortRuleLines, publishedPortRules } from '../../containers/port-firewall.js';
import { HOST_PORT_MAX, HOST_PORT_MIN } from '../../containers/host-ports.js';

test('containers are kept off the published ports on the node and across nodes, the host itself is not', () => {
  const rules = publishedPortRules();
  assert.deepEqual(
    rules.map((r) => r.chain),
    ['INPUT', 'DOCKER-USER'],
  );
  for (const { rule } of rules) {
    assert.deepEqual(rule.slice(0, 2), ['-i', 'docker_gwbridge'], 'only what comes from containers');
    assert.equal(rule[rule.indexOf('--ctorigdstport') + 1], `${HOST_PORT_MIN}:${HOST_PORT_MAX}`);
    assert.deepEqual(rule.slice(-2), ['-j', 'DROP']);
  }
});

test('the lines a node runs insert each rule once', () => {
  const [input] = publishedPortRuleLines();
  assert.match(
    input!,
    /^iptables -C INPUT -i docker_gwbridge .* 2>\/dev\/null \|\| iptables -I INPUT -i docker_gwbridge /,
  );
});

test('only packets on the way to a published port are dropped, not a container’s answers to the gateway', () => {
  for (const { rule } of publishedPortRules()) {
    assert.equal(rule[rule.indexOf('--ctdir') + 1], 'ORIGINAL');
  }
});
