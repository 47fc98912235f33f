import type Docker from 'dockerode';
import type { ContainerSpec } from './driver.js';
import { HOST_PORT_LABEL } from './host-ports.js';

/** The default user of runtime images (runtimes/python3/Dockerfile). */
const RUNTIME_USER = '1000:1000';

/**
 * What the local driver asks Docker for, given a driver-neutral spec and the host port it chose.
 * Every container is locked down the same way: an init process (a shell as PID 1 ignores SIGTERM),
 * no capabilities, no privilege escalation, no swap beyond the memory limit, a bounded log, and
 * its port on 127.0.0.1 only (the gateway is the way in).
 */
export function dockerCreateOptions(
  spec: ContainerSpec,
  hostPort: number | undefined,
): Docker.ContainerCreateOptions {
  const portKey = spec.port === undefined ? undefined : `${spec.port}/tcp`;
  return {
    name: spec.name,
    Image: spec.image,
    Cmd: spec.cmd,
    Env: Object.entries(spec.env ?? {}).map(([k, v]) => `${k}=${v}`),
    Labels: {
      'roro.managed': 'true',
      ...spec.labels,
      ...(hostPort ? { [HOST_PORT_LABEL]: String(hostPort) } : {}),
    },
    WorkingDir: spec.workdir,
    User: spec.user ?? RUNTIME_USER,
    ExposedPorts: portKey ? { [portKey]: {} } : undefined,
    HostConfig: {
      Init: true,
      Privileged: false,
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      NanoCpus: Math.round(spec.limits.cpus * 1e9),
      Memory: spec.limits.memoryBytes,
      MemorySwap: spec.limits.memoryBytes,
      PidsLimit: 4096,
      NetworkMode: spec.network?.name,
      PortBindings: portKey
        ? { [portKey]: [{ HostIp: '127.0.0.1', HostPort: String(hostPort) }] }
        : undefined,
      Mounts: (spec.mounts ?? []).map((m) => ({
        Type: 'bind' as const,
        Source: m.source,
        Target: m.target,
        ReadOnly: m.readOnly === true,
      })),
      RestartPolicy: { Name: spec.restart ?? 'no' },
      // Bounded logs: a chatty service must not fill the disk.
      LogConfig: { Type: 'json-file', Config: { 'max-size': '20m', 'max-file': '3' } },
    },
  };
}
