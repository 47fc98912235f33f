import path from 'node:path';
import type { RoroYml, ServiceSpec } from '../core/roro-yml.js';
import { resolveSize, type SizeLimits } from '../core/sizes.js';
import type { ContainerSpec, MountSpec } from '../containers/driver.js';
import { RoroError } from '../core/errors.js';

/** The port every service listens on inside its container; rorodata used 8080 too. */
export const SERVICE_PORT = 8080;

export interface ServicePlan {
  name: string;
  kind: 'function' | 'command';
  replicas: number;
  /** Path probed for readiness: the function server's /_health, or the service's own health_path. */
  healthPath: string | undefined;
  startTimeoutSeconds: number;
  container: Omit<ContainerSpec, 'image' | 'name'>;
}

export interface PlanInput {
  project: string;
  release: number;
  deployId: string;
  config: RoroYml;
  volumes: MountSpec[];
  env: Record<string, string>;
  host: SizeLimits;
  only?: string;
}

function serviceCommand(project: string, release: number, svc: ServiceSpec): string[] {
  if (svc.command) return ['/bin/sh', '-c', svc.command];
  const cmd = ['roro-serve', '--function', svc.function!, '--port', String(SERVICE_PORT)];
  cmd.push('--app-name', project, '--version', String(release));
  if (svc.corsAllowOrigins?.length) cmd.push('--cors-allow-origins', svc.corsAllowOrigins.join(','));
  return cmd;
}

function healthPath(svc: ServiceSpec): string | undefined {
  return svc.function ? '/_health' : svc.healthPath;
}

/**
 * The project volumes a service mounts: all of them, unless its `volumes:` names some (or none).
 * A service without volumes may run on any node of a cluster; one with volumes runs where they are.
 */
function serviceMounts(svc: ServiceSpec, volumes: MountSpec[]): MountSpec[] {
  if (svc.volumes === undefined) return volumes;
  return svc.volumes.map((name) => {
    const found = volumes.find((m) => m.target === `/volumes/${name}`);
    if (found) return found;
    throw new RoroError(`Service ${svc.name} mounts volume ${name}, which the project does not have.`, {
      status: 422,
      code: 'unknown_volume',
      hint: `Create it with \`roro volumes:add ${name}\`, or take it out of the service's volumes in roro.yml (\`roro volumes\` lists them).`,
    });
  });
}

/** Turns roro.yml services into container specs; pure, so the rules are unit-tested. */
export function planServices(input: PlanInput): ServicePlan[] {
  const services = input.config.services.filter((s) => !input.only || s.name === input.only);
  return services.map((svc) => {
    const size = resolveSize(svc.size, input.host);
    const workdir = svc.directory ? path.posix.join('/app', svc.directory) : '/app';
    return {
      name: svc.name,
      kind: svc.function ? 'function' : 'command',
      replicas: svc.replicas,
      healthPath: healthPath(svc),
      startTimeoutSeconds: svc.startTimeoutSeconds ?? 180,
      container: {
        cmd: serviceCommand(input.project, input.release, svc),
        env: {
          ...input.env,
          ...svc.env,
          PORT: String(SERVICE_PORT),
          RORO_PROJECT: input.project,
          RORO_SERVICE: svc.name,
          RORO_RELEASE: String(input.release),
        },
        labels: {
          'roro.managed': 'true',
          'roro.kind': 'service',
          'roro.project': input.project,
          'roro.service': svc.name,
          'roro.deploy': input.deployId,
          'roro.release': String(input.release),
          // The healer probes the same path the deploy waited on.
          ...(healthPath(svc) ? { 'roro.health-path': healthPath(svc)! } : {}),
        },
        workdir,
        restart: 'unless-stopped',
        port: SERVICE_PORT,
        mounts: serviceMounts(svc, input.volumes),
        limits: { cpus: size.cpus, memoryBytes: size.memoryBytes },
      },
    };
  });
}
