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

/** Where the container's files live: the manager, whose RORO_HOME holds every volume. */
export interface SwarmPlacement {
  /** The Swarm node id of the manager the platform runs on. */
  managerNodeId: string;
}

/** True when the container mounts files that live on one node only: it must run on that node. */
export function pinnedToManager(spec: ContainerSpec): boolean {
  return (spec.mounts ?? []).some((m) => m.optional !== true);
}

/**
 * What the Swarm driver asks Docker for: one service with one replica per roro container, named
 * like the container, locked down as the local driver's containers are (an init process, no
 * capabilities, bounded logs) and with the roro labels on the service and on its task containers.
 *
 * - The roro-picked host port is published in ingress mode: the routing mesh answers on that port
 *   on every node, so the gateway's `127.0.0.1:<port>` reaches the task wherever it runs.
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
      Placement: pinned ? { Constraints: [`node.id==${placement.managerNodeId}`] } : {},
      Networks: spec.network ? [{ Target: spec.network.name }] : undefined,
      // Bounded logs: a chatty service must not fill the disk.
      LogDriver: { Name: 'json-file', Options: { 'max-size': '20m', 'max-file': '3' } },
    },
    Mode: { Replicated: { Replicas: 1 } },
    EndpointSpec:
      spec.port === undefined
        ? { Mode: 'vip' }
        : {
            Mode: 'vip',
            Ports: [
              { Protocol: 'tcp', TargetPort: spec.port, PublishedPort: hostPort, PublishMode: 'ingress' },
            ],
          },
  };
}
