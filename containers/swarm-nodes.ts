/**
 * What the Swarm driver reads of the cluster's nodes: where a task's published port is reached,
 * and which nodes a new replica should avoid so that replicas of one service spread. Pure, so
 * every rule is unit-tested.
 */

/** The part of a Swarm node the driver reads. */
export interface NodeView {
  ID: string;
  Spec?: { Availability?: string };
  Status?: { State?: string; Addr?: string };
  ManagerStatus?: { Addr?: string };
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/**
 * The IPv4 address a node's host-mode published ports answer at: the address it reports to the
 * swarm. A manager may report 0.0.0.0 there; its manager address (`ip:2377`) then tells it.
 */
export function nodeAddress(node: NodeView): string | undefined {
  const addr = node.Status?.Addr ?? '';
  if (IPV4.test(addr) && addr !== '0.0.0.0') return addr;
  const manager = (node.ManagerStatus?.Addr ?? '').replace(/:\d+$/, '');
  return IPV4.test(manager) && manager !== '0.0.0.0' ? manager : undefined;
}

/** True when Swarm may place new work on the node. */
export function takesWork(node: NodeView): boolean {
  return node.Status?.State === 'ready' && (node.Spec?.Availability ?? 'active') === 'active';
}

/**
 * Placement constraints that keep a new replica off the nodes its siblings (the other replicas of
 * the same service and release) run on, as long as some other node takes work; none when every
 * node that takes work already runs one (more replicas than nodes), or when the replica is pinned.
 * Swarm's own scheduler spreads only the tasks of one service, and roro runs each replica as a
 * service of its own.
 */
export function spreadConstraints(nodes: NodeView[], siblingNodes: ReadonlySet<string>): string[] {
  const open = nodes.filter(takesWork);
  const free = open.filter((n) => !siblingNodes.has(n.ID));
  if (free.length === 0 || free.length === open.length) return [];
  return open.filter((n) => siblingNodes.has(n.ID)).map((n) => `node.id!=${n.ID}`);
}

/** A service's constraints without the ones spreadConstraints added (`node.id!=...`). */
export function withoutSpread(constraints: string[]): string[] {
  return constraints.filter((c) => !/^node\.id\s*!=/.test(c));
}

/**
 * Where the gateway reaches a host-mode port of a task on `nodeId`: the node's address; this host's
 * loopback (no address) for the manager the platform runs on when it reports none; unreachable for
 * another node that reports none, which must then not be routed to.
 */
export function nodeReach(
  nodeId: string | undefined,
  nodes: NodeView[],
  managerNodeId: string,
): { reachable: boolean; address?: string } {
  const node = nodes.find((n) => n.ID === nodeId);
  const address = node ? nodeAddress(node) : undefined;
  if (address) return { reachable: true, address };
  return { reachable: nodeId === managerNodeId };
}
