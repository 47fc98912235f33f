import net from 'node:net';
import type Docker from 'dockerode';

/**
 * On a real manager the engine shares the host's network, and Swarm's routing mesh answers on
 * 127.0.0.1:<published port> itself. A test engine lives in a network namespace of its own
 * (scripts/second-engine.sh), where the mesh answers at its NODE_IP instead: this relays each port
 * its services publish from the host's loopback to there, so the platform's gateway and probes use
 * the same addresses as on a real manager.
 */
export function relayPublishedPorts(docker: Docker, nodeIp: string): { stop(): Promise<void> } {
  const servers = new Map<number, net.Server>();
  const sockets = new Set<net.Socket>();
  let stopped = false;
  const relay = (port: number) => {
    const server = net.createServer((inbound) => {
      const outbound = net.connect({ host: nodeIp, port });
      for (const s of [inbound, outbound]) {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
      }
      inbound.on('error', () => outbound.destroy());
      outbound.on('error', () => inbound.destroy());
      inbound.pipe(outbound).pipe(inbound);
    });
    server.on('error', (err) => {
      throw new Error(`cannot relay 127.0.0.1:${port} to ${nodeIp}: ${err.message}`);
    });
    server.listen(port, '127.0.0.1');
    servers.set(port, server);
  };
  const watch = (async () => {
    while (!stopped) {
      const services = (await docker.listServices().catch(() => [])) as {
        Endpoint?: { Ports?: { PublishedPort?: number }[] };
      }[];
      for (const s of services)
        for (const p of s.Endpoint?.Ports ?? [])
          if (p.PublishedPort && !servers.has(p.PublishedPort)) relay(p.PublishedPort);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await watch;
      for (const s of sockets) s.destroy();
      await Promise.all([...servers.values()].map((s) => new Promise((r) => s.close(r))));
    },
  };
}
