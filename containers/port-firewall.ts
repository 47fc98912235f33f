import { HOST_PORT_MAX, HOST_PORT_MIN } from './host-ports.js';

/** The bridge Swarm gives every task for traffic off its overlay networks. */
export const SWARM_GATEWAY_BRIDGE = 'docker_gwbridge';

/**
 * Tenants kept apart at the ports their services publish. Without the routing mesh Swarm publishes
 * a task's port on every address of its node, where any container could reach another project's
 * service around the gateway: on the same node through Docker's port proxy (the INPUT chain), on
 * another node through the host's forwarding (DOCKER-USER, which Docker keeps first in FORWARD).
 * These rules drop both for traffic that comes from containers (through the bridge); the gateway
 * connects from the manager itself and is not affected. Every node needs them: the manager gets
 * them from `roro server up --cluster`, a worker from the lines `roro nodes:join` prints.
 */
export function publishedPortRules(): { chain: string; rule: string[] }[] {
  // By the port first asked for (where Docker translated it on the way to a container, the packet
  // already carries the container's own port), and only on the way there: the answers a container
  // sends to the gateway belong to a connection with that same first port.
  const rule = [
    ...['-i', SWARM_GATEWAY_BRIDGE, '-p', 'tcp', '-m', 'conntrack', '--ctproto', 'tcp'],
    ...['--ctorigdstport', `${HOST_PORT_MIN}:${HOST_PORT_MAX}`, '--ctdir', 'ORIGINAL', '-j', 'DROP'],
  ];
  return [
    { chain: 'INPUT', rule },
    { chain: 'DOCKER-USER', rule },
  ];
}

/** The rules as shell lines, each inserted once (checked first): what a node's root runs. */
export function publishedPortRuleLines(): string[] {
  return publishedPortRules().map(({ chain, rule }) => {
    const r = rule.join(' ');
    return `iptables -C ${chain} ${r} 2>/dev/null || iptables -I ${chain} ${r}`;
  });
}
