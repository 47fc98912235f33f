import fs from 'node:fs';

/**
 * Swarm's routing mesh (ingress-published ports, virtual IPs) is IPVS in the kernel; the engine
 * loads it when Swarm mode starts. A kernel without it (some VMs and minimal kernels) runs Swarm
 * services, but their ingress ports never answer. The engine roro manages runs on this host, so
 * this host's kernel is the one that counts.
 */
export function routingMeshAvailable(): boolean {
  return fs.existsSync('/proc/net/ip_vs') || fs.existsSync('/proc/sys/net/ipv4/vs');
}
