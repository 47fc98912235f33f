import type Docker from 'dockerode';
import { ConflictError, NotFoundError, RoroError } from '../core/errors.js';

/**
 * The cluster roro runs on in cluster mode: Docker's own Swarm mode on the platform's engine, which
 * must be a manager. This file turns it on and reports and changes its nodes; placing containers
 * on them is the Swarm driver's work.
 */

/** The port Swarm managers listen on for nodes joining and for the cluster's own traffic. */
export const SWARM_PORT = 2377;

export interface ClusterNode {
  id: string;
  hostname: string;
  role: 'manager' | 'worker';
  /** Swarm's view: ready, down, disconnected, unknown. */
  state: string;
  /** active (takes work), pause (keeps its work, takes no more) or drain (its work moves away). */
  availability: string;
  leader: boolean;
  /** The platform's own node: the manager roro runs on. */
  self: boolean;
  address: string;
  cpus: number;
  memoryBytes: number;
  engine: string;
  /** roro containers running on it (services, jobs, notebooks, the canary). */
  containers: number;
}

const notReachable = (socket: string, err: unknown) =>
  new RoroError(`The Docker engine at unix://${socket} is not reachable: ${(err as Error).message}.`, {
    status: 503,
    code: 'unavailable',
    hint: 'Start Docker (or point DOCKER_HOST/DOCKER_SOCKET at a running engine), then `roro server status`.',
    cause: err,
  });

/** The engine's Swarm state, read from `docker info`. */
export async function swarmState(
  docker: Docker,
  socket: string,
): Promise<{ state: string; nodeId: string; manager: boolean; error: string; nodeAddr: string }> {
  const info = await docker.info().catch((err: unknown) => {
    throw notReachable(socket, err);
  });
  const s = (info.Swarm ?? {}) as Record<string, unknown>;
  return {
    state: String(s.LocalNodeState ?? 'inactive'),
    nodeId: String(s.NodeID ?? ''),
    manager: s.ControlAvailable === true,
    error: String(s.Error ?? ''),
    nodeAddr: String(s.NodeAddr ?? ''),
  };
}

/**
 * Makes the engine a Swarm manager: initialises Swarm mode when it is off, uses the swarm when the
 * engine already manages one, and refuses an engine that is a worker of another swarm.
 */
export async function ensureSwarm(
  docker: Docker,
  socket: string,
  advertiseAddr: string | undefined,
): Promise<{ initialised: boolean; nodeId: string }> {
  const now = await swarmState(docker, socket);
  if (now.state === 'active' && now.manager) return { initialised: false, nodeId: now.nodeId };
  if (now.state === 'active' || now.state === 'pending') {
    throw new ConflictError(
      `The Docker engine at unix://${socket} is already a worker node of another swarm; roro must run on a manager.`,
      'Run roro on a manager of that swarm, or take this engine out of it with `docker swarm leave` and start again.',
    );
  }
  if (now.state === 'error' || now.state === 'locked') {
    throw new ConflictError(
      `The Docker engine's Swarm mode is in state ${now.state}${now.error ? ` (${now.error})` : ''}.`,
      now.state === 'locked'
        ? 'Unlock it with `docker swarm unlock`, then start roro again.'
        : 'Repair it (`docker swarm leave --force` on a swarm you do not need), then start roro again.',
    );
  }
  try {
    await docker.swarmInit({
      ListenAddr: `0.0.0.0:${SWARM_PORT}`,
      ...(advertiseAddr ? { AdvertiseAddr: advertiseAddr } : {}),
    });
  } catch (err) {
    const message = (err as { json?: { message?: string } }).json?.message ?? (err as Error).message;
    throw new RoroError(`Docker could not initialise Swarm mode: ${message}`, {
      code: 'swarm_init_failed',
      hint: /advertise/i.test(message)
        ? 'Set RORO_CLUSTER_ADVERTISE_ADDR to the address of this host that the other nodes reach (one of its interfaces), then start again.'
        : 'See the Docker engine log; Swarm needs TCP 2377 and 7946 and UDP 7946 and 4789 between the nodes.',
      cause: err,
    });
  }
  return { initialised: true, nodeId: (await swarmState(docker, socket)).nodeId };
}

/** Refuses when the engine is not a Swarm manager, naming how to make it one. */
export async function requireManager(docker: Docker, socket: string): Promise<string> {
  const now = await swarmState(docker, socket);
  if (now.state === 'active' && now.manager) return now.nodeId;
  throw new ConflictError(
    now.state === 'active'
      ? `The Docker engine at unix://${socket} is a worker node, not a manager: the cluster cannot be managed from it.`
      : `The Docker engine at unix://${socket} is not in Swarm mode (${now.state}).`,
    'Start the platform with `roro server up --cluster`, which initialises Swarm mode or uses the swarm the engine manages.',
  );
}

interface SwarmNode {
  ID: string;
  Version: { Index: number };
  Spec: { Role?: string; Availability?: string; Labels?: Record<string, string>; Name?: string };
  Description?: {
    Hostname?: string;
    Resources?: { NanoCPUs?: number; MemoryBytes?: number };
    Engine?: { EngineVersion?: string };
  };
  Status?: { State?: string; Addr?: string };
  ManagerStatus?: { Leader?: boolean; Addr?: string };
}

/** Every node, with how many roro containers each runs (Swarm tasks, plus the manager's own containers). */
export async function listClusterNodes(docker: Docker, socket: string): Promise<ClusterNode[]> {
  const self = await requireManager(docker, socket);
  const [nodes, tasks, services, local] = await Promise.all([
    docker.listNodes() as Promise<SwarmNode[]>,
    docker.listTasks({ filters: { 'desired-state': ['running'] } }) as Promise<
      { NodeID?: string; ServiceID?: string; Status?: { State?: string } }[]
    >,
    docker.listServices({ filters: { label: ['roro.managed=true'] } }) as Promise<{ ID: string }[]>,
    docker.listContainers({ filters: { label: ['roro.managed=true'], status: ['running'] } }),
  ]);
  const roroServices = new Set(services.map((s) => s.ID));
  const perNode = new Map<string, number>();
  for (const t of tasks) {
    if (!t.NodeID || !t.ServiceID || !roroServices.has(t.ServiceID) || t.Status?.State !== 'running')
      continue;
    perNode.set(t.NodeID, (perNode.get(t.NodeID) ?? 0) + 1);
  }
  // Containers the manager's engine runs directly (not as Swarm tasks) count on its own node.
  const direct = local.filter((c) => !c.Labels['com.docker.swarm.task.id']).length;
  return nodes
    .map((n) => ({
      id: n.ID,
      hostname: n.Description?.Hostname ?? '',
      role: n.Spec.Role === 'manager' ? ('manager' as const) : ('worker' as const),
      state: n.Status?.State ?? 'unknown',
      availability: n.Spec.Availability ?? 'active',
      leader: n.ManagerStatus?.Leader === true,
      self: n.ID === self,
      address: n.Status?.Addr ?? '',
      cpus: (n.Description?.Resources?.NanoCPUs ?? 0) / 1e9,
      memoryBytes: n.Description?.Resources?.MemoryBytes ?? 0,
      engine: n.Description?.Engine?.EngineVersion ?? '',
      containers: (perNode.get(n.ID) ?? 0) + (n.ID === self ? direct : 0),
    }))
    .sort((a, b) => Number(b.self) - Number(a.self) || a.hostname.localeCompare(b.hostname));
}

/** Finds a node by id, id prefix or hostname; refuses unknown and ambiguous names. */
function findNode(nodes: ClusterNode[], ref: string): ClusterNode {
  const exact = nodes.filter((n) => n.id === ref || n.hostname === ref);
  const found = exact.length ? exact : nodes.filter((n) => ref.length >= 3 && n.id.startsWith(ref));
  if (found.length === 1) return found[0]!;
  if (found.length === 0)
    throw new NotFoundError(
      `No node ${ref} in the cluster.`,
      'Run `roro nodes` for their ids and hostnames.',
    );
  throw new ConflictError(
    `${ref} names ${found.length} nodes (${found.map((n) => n.id.slice(0, 12)).join(', ')}).`,
    'Give the node id from `roro nodes` instead.',
  );
}

/**
 * Drains a node (Swarm moves its tasks to the others and sends it no more) or makes it active
 * again. Draining the last active node is refused unless forced: its work would have nowhere to go.
 */
export async function setNodeAvailability(
  docker: Docker,
  socket: string,
  ref: string,
  availability: 'active' | 'drain',
  force = false,
): Promise<ClusterNode> {
  const nodes = await listClusterNodes(docker, socket);
  const node = findNode(nodes, ref);
  const othersActive = nodes.filter(
    (n) => n.id !== node.id && n.availability === 'active' && n.state === 'ready',
  );
  if (availability === 'drain' && node.availability !== 'drain' && othersActive.length === 0 && !force) {
    throw new ConflictError(
      `${node.hostname} (${node.id.slice(0, 12)}) is the only active node: drained, its services would have nowhere to run.`,
      'Add a node first (`roro nodes:join`), or add --force to drain it anyway.',
    );
  }
  const raw = (await docker.getNode(node.id).inspect()) as SwarmNode;
  await docker
    .getNode(node.id)
    .update({ version: raw.Version.Index, ...raw.Spec, Availability: availability });
  return { ...node, availability };
}

/** What a new host runs to join as a worker: Swarm's join command with the current worker token. */
export async function workerJoinCommand(
  docker: Docker,
  socket: string,
): Promise<{ command: string; manager: string }> {
  await requireManager(docker, socket);
  const swarm = (await docker.swarmInspect()) as { JoinTokens?: { Worker?: string } };
  const info = (await docker.info()) as {
    Swarm?: { RemoteManagers?: { NodeID: string; Addr: string }[]; NodeAddr?: string };
  };
  const manager =
    info.Swarm?.RemoteManagers?.[0]?.Addr ?? `${info.Swarm?.NodeAddr ?? '<this-host>'}:${SWARM_PORT}`;
  const token = swarm.JoinTokens?.Worker;
  if (!token)
    throw new RoroError('The swarm gave no worker join token.', { hint: 'See the Docker engine log.' });
  return { command: `docker swarm join --token ${token} ${manager}`, manager };
}

/**
 * The node that holds the volumes in cluster mode: the manager the platform runs on, whose
 * RORO_HOME keeps their files. Containers that mount them are pinned to it (swarmServiceOptions).
 */
export async function volumeNode(docker: Docker, socket: string): Promise<{ id: string; hostname: string }> {
  const id = await requireManager(docker, socket);
  const info = (await docker.info()) as { Name?: string };
  return { id, hostname: info.Name ?? '' };
}
