import type Docker from 'dockerode';
import type { ContainerSpec } from './driver.js';
import { HOST_PORT_LABEL } from './host-ports.js';

/** The default user of runtime images (runtimes/python3/Dockerfile). */
const RUNTIME_USER = '1000:1000';

/**
 * Swarm places a task only on a node with this share of its size unreserved. CPU and memory are
 * limits first (as on one machine, where nothing is reserved); reserving a quarter spreads work by
 * size without refusing the overcommit one machine allows.
 */
export const RESERVED_SHARE = 0.25;

export interface SwarmPlacement {
  /** The Swarm node id of the manager the platform runs on, whose RORO_HOME holds every volume. */
  managerNodeId: string;
  /**
   * Whether Swarm's routing mesh works: it needs IPVS in the kernel. Without it a published port
   * is bound on the task's own node (host mode), where the gateway reaches it at the node's address.
   */
  routingMesh: boolean;
  /** Nodes the task must avoid, as `node.id!=...` constraints (swarm-nodes.ts, spreadConstraints). */
  avoid?: string[];
}

/**
 * True when the image is named with a registry (`host:port/roro/app-x@sha256:...`), so that every
 * node can pull it; an image named without one (`roro/base:bookworm`) is on the manager's engine only.
 */
export function imageFromRegistry(image: string): boolean {
  const first = image.split('/')[0] ?? '';
  return image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
}

/**
 * True when the container must run on the manager: it mounts files that live there only, or its
 * image is there only.
 */
export function pinnedToManager(spec: ContainerSpec): boolean {
  return (spec.mounts ?? []).some((m) => m.optional !== true) || !imageFromRegistry(spec.image);
}

/**
 * What the Swarm driver asks Docker for: one service with one replica per roro container, named
 * like the container, locked down as the local driver's containers are (an init process, no
 * capabilities, bounded logs) and with the roro labels on the service and on its task containers.
 *
 * - The roro-picked host port is published in ingress mode: the routing mesh answers on that port
 *   on every node, so the gateway's `127.0.0.1:<port>` reaches the task wherever it runs. Without
 *   the mesh (no IPVS) it is published in host mode on the task's node, where the gateway reaches
 *   it at the node's address, and names resolve by DNS round robin.
 * - Replicas of one service avoid each other's nodes while another node takes work (`avoid`).
 * - Sizes become limits, and reservations of RESERVED_SHARE of them.
 * - restart `unless-stopped` becomes condition `any`; `no` (jobs, notebooks) becomes `none`.
 * - A container with bind mounts of roro volumes is pinned to the manager, which holds their files;
 *   one without may run on any node, and leaves out the optional platform mounts it would not find
 *   there.
 */
export function swarmServiceOptions(
  spec: ContainerSpec,
  hostPort: number | undefined,
  placement: SwarmPlacement,
): Docker.CreateServiceOptions {
  const labels: Record<string, string> = {
    'roro.managed': 'true',
    ...spec.labels,
    ...(hostPort ? { [HOST_PORT_LABEL]: String(hostPort) } : {}),
  };
  const pinned = pinnedToManager(spec);
  const mounts = (spec.mounts ?? []).filter((m) => pinned || m.optional !== true);
  const cpus = Math.round(spec.limits.cpus * 1e9);
  const memory = spec.limits.memoryBytes;
  return {
    Name: spec.name,
    Labels: labels,
    TaskTemplate: {
      ContainerSpec: {
        Image: spec.image,
        // Args, not Command: Command would replace the image's ENTRYPOINT, as `docker run` does not.
        Args: spec.cmd,
        Env: Object.entries(spec.env ?? {}).map(([k, v]) => `${k}=${v}`),
        Labels: labels,
        Dir: spec.workdir,
        User: spec.user ?? RUNTIME_USER,
        Init: true,
        CapabilityDrop: ['ALL'],
        Mounts: mounts.map((m) => ({
          Type: 'bind' as const,
          Source: m.source,
          Target: m.target,
          ReadOnly: m.readOnly === true,
        })),
      },
      Resources: {
        Limits: { NanoCPUs: cpus, MemoryBytes: memory, Pids: 4096 },
        Reservations: {
          NanoCPUs: Math.round(cpus * RESERVED_SHARE),
          MemoryBytes: Math.round(memory * RESERVED_SHARE),
        },
      },
      RestartPolicy:
        spec.restart === 'unless-stopped'
          ? { Condition: 'any', Delay: 1e9 }
          : { Condition: 'none', MaxAttempts: 0 },
      Placement: pinned
        ? { Constraints: [`node.id==${placement.managerNodeId}`] }
        : placement.avoid?.length
          ? { Constraints: placement.avoid }
          : {},
      Networks: spec.network ? [{ Target: spec.network.name }] : undefined,
      // Bounded logs: a chatty service must not fill the disk.
      LogDriver: { Name: 'json-file', Options: { 'max-size': '20m', 'max-file': '3' } },
    },
    Mode: { Replicated: { Replicas: 1 } },
    EndpointSpec: {
      // Virtual IPs are IPVS's too: without it a service's name resolves to its task's address.
      Mode: placement.routingMesh ? 'vip' : 'dnsrr',
      ...(spec.port === undefined
        ? {}
        : {
            Ports: [
              {
                Protocol: 'tcp' as const,
                TargetPort: spec.port,
                PublishedPort: hostPort,
                PublishMode: placement.routingMesh ? ('ingress' as const) : ('host' as const),
              },
            ],
          }),
    },
  };
}
