import { rememberCluster } from '../core/cluster-setting.js';
import type { PlatformEnv } from '../core/config.js';
import { ensureSwarm, listClusterNodes } from '../containers/swarm-cluster.js';
import { applyPublishedPortRules } from './cluster-firewall.js';
import { dockerClient } from './components.js';

/** In cluster mode, once the engine answers: make it a Swarm manager, and remember the mode in RORO_HOME. */
export async function startCluster(env: PlatformEnv, log: (line: string) => void): Promise<void> {
  const docker = dockerClient(env);
  const { initialised, nodeId } = await ensureSwarm(docker, env.dockerSocket, env.clusterAdvertiseAddr).catch(
    (err: Error & { hint?: string }) => {
      // The supervisor reports a message only: the fix goes with it.
      throw new Error(`cluster mode: ${err.message}${err.hint ? ` ${err.hint}` : ''}`, { cause: err });
    },
  );
  rememberCluster(env.home);
  const added = await applyPublishedPortRules();
  if (added > 0)
    log(`cluster mode: added ${added} firewall rule(s) that keep containers off published ports`);
  log(
    initialised
      ? `cluster mode: initialised Swarm mode on the engine; this node is ${nodeId}`
      : `cluster mode: using the swarm this engine manages (node ${nodeId})`,
  );
}

/** The status row of the cluster: its nodes, and those that do not take work. */
export async function clusterStatus(env: PlatformEnv): Promise<{ ok: boolean; url: string; detail: string }> {
  const nodes = await listClusterNodes(dockerClient(env), env.dockerSocket);
  const ready = nodes.filter((n) => n.state === 'ready');
  const away = nodes.filter((n) => n.state !== 'ready' || n.availability !== 'active');
  return {
    ok: ready.length > 0,
    url: `swarm of ${nodes.length} node${nodes.length === 1 ? '' : 's'}`,
    detail: `${ready.length} ready${away.length ? `; not taking work: ${away.map((n) => `${n.hostname} (${n.state}, ${n.availability})`).join(', ')}` : ''}`,
  };
}
