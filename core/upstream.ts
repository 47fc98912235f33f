/** Where a container's published port is reached when its driver names no address: this host. */
export const LOOPBACK = '127.0.0.1';

/**
 * The `address:port` the gateway sends a container's requests to: the port it publishes, on the
 * node it runs on (this host's loopback for the local driver; a Swarm node's address for a task
 * that Swarm placed elsewhere).
 */
export function upstreamOf(c: { hostPort: number; hostAddress?: string }): string {
  return `${c.hostAddress ?? LOOPBACK}:${c.hostPort}`;
}

/** A container's published port as activities return it: the address only where the driver named one. */
export function publishedAt(c: { hostPort?: number; hostAddress?: string }): {
  hostPort: number;
  hostAddress?: string;
} {
  return { hostPort: c.hostPort!, ...(c.hostAddress ? { hostAddress: c.hostAddress } : {}) };
}
