import path from 'node:path';
import { ApiClient } from '../client.js';
import { engineTrustPath } from '../../core/cluster-setting.js';
import { info, out, printJson, table } from '../output.js';
import type { ClusterNode } from '../../containers/swarm-cluster.js';

const gib = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(1)} GiB`;

export async function nodesCommand(opts: { json?: boolean; url?: string }) {
  const { nodes } = await ApiClient.forCli(opts.url).request<{ nodes: ClusterNode[] }>('/v1/nodes');
  if (opts.json) return printJson({ nodes });
  table(
    ['ID', 'HOSTNAME', 'ROLE', 'STATE', 'AVAILABILITY', 'CPUS', 'MEMORY', 'CONTAINERS'],
    nodes.map((n) => [
      `${n.id.slice(0, 12)}${n.self ? ' *' : ''}`,
      n.hostname,
      n.leader ? 'manager (leader)' : n.role,
      n.state,
      n.availability,
      String(n.cpus),
      gib(n.memoryBytes),
      String(n.containers),
    ]),
  );
}

export async function nodesJoinCommand(opts: { json?: boolean; url?: string }) {
  const join = await ApiClient.forCli(opts.url).request<{
    command: string;
    manager: string;
    registry?: { address: string; user: string; password: string; caCert: string };
    firewall?: string[];
  }>('/v1/nodes/join');
  if (opts.json) return printJson(join);
  info('On the new host (Docker installed, TCP 2377 and 7946, UDP 7946 and 4789 open to this one), run:');
  out(join.command);
  const r = join.registry;
  if (r) {
    info(`Then make its engine trust roro's registry at ${r.address} and sign in to it:`);
    const ca = engineTrustPath(r.address);
    out(`mkdir -p ${path.posix.dirname(ca)} && cat > ${ca} <<'EOF'`);
    out(r.caCert);
    out('EOF');
    out(`echo '${r.password}' | docker login ${r.address} --username ${r.user} --password-stdin`);
  }
  if (join.firewall?.length) {
    info("Then keep containers off other projects' published ports (as root; the manager has these rules):");
    for (const line of join.firewall) out(line);
  }
  info('The token and password in these lines let a host join and pull: pass them on only to the new host.');
}

async function setAvailability(
  action: 'drain' | 'activate',
  node: string,
  opts: { force?: boolean; json?: boolean; url?: string },
) {
  const query = opts.force ? '?force=1' : '';
  const res = await ApiClient.forCli(opts.url).request<{ node: ClusterNode }>(
    `/v1/nodes/${encodeURIComponent(node)}/${action}${query}`,
    { method: 'POST' },
  );
  if (opts.json) return printJson(res);
  info(
    action === 'drain'
      ? `Draining ${res.node.hostname} (${res.node.id.slice(0, 12)}): Swarm moves its work to the other nodes.`
      : `${res.node.hostname} (${res.node.id.slice(0, 12)}) is active: it takes work again.`,
  );
}

export const nodesDrainCommand = (node: string, opts: { force?: boolean; json?: boolean; url?: string }) =>
  setAvailability('drain', node, opts);
export const nodesActivateCommand = (node: string, opts: { json?: boolean; url?: string }) =>
  setAvailability('activate', node, opts);
