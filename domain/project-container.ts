import type { Pool } from 'pg';
import type { PlatformEnv } from '../core/config.js';
import type { ContainerDriver, ContainerSpec, MountSpec, NetworkSpec } from '../containers/driver.js';
import { loadConfigEnv } from './config-vars.js';
import { bindPlatformAccess, platformAccess, type PlatformAccess } from './platform-access.js';
import { projectNetwork } from './project-network.js';
import { projectVolumeMounts } from './project-volumes.js';

/**
 * One way to build the container of a service instance, a job or a notebook. What sets one kind
 * apart is in the request; what every project container has (its labels, the project's config
 * vars, volumes and network, a token for the API) is added here, into a driver-neutral
 * `ContainerSpec` that each container driver turns into its engine's own options.
 */
export interface ProjectContainerRequest {
  kind: 'service' | 'job' | 'notebook';
  /** Without an id (its record went while a deploy ran), a project's container gets no config vars, token or network. */
  project: { id: string | undefined; name: string };
  /** Unique on the engine; a retried start finds its container by it. */
  name: string;
  image: string;
  cmd?: string[];
  workdir: string;
  limits: { cpus: number; memoryBytes: number };
  /** The kind's own labels (roro.service, roro.job, ...); the kind's and the project's are added. */
  labels?: Record<string, string>;
  /** Variables under the project's config vars: a service's roro.yml `env`. */
  env?: Record<string, string>;
  /** The platform's own variables (RORO_*, JUPYTER_TOKEN), over the config vars. */
  platformEnv?: Record<string, string>;
  /** The volumes to mount, as a deploy planned them; the project's volumes now when omitted. */
  volumes?: MountSpec[];
  /** Container port published on the host, for the gateway. */
  port?: number;
  user?: string;
  restart?: ContainerSpec['restart'];
  /** The labels of its sibling replicas, which it should not share a machine with (ContainerSpec). */
  spreadAmong?: ContainerSpec['spreadAmong'];
  /** What the container's API token is for, as its description says (default: the name). */
  purpose?: string;
}

/** What a project container gets from the platform, resolved when it starts. */
interface ProjectContainerParts {
  configEnv: Record<string, string>;
  volumes: MountSpec[];
  access: Pick<PlatformAccess, 'env' | 'mounts' | 'labels'> | undefined;
  network: NetworkSpec | undefined;
}

/**
 * The spec of a project container. Variables go roro.yml `env` < config vars < the platform's own,
 * so neither a roro.yml nor a config var can replace the token or the project's name.
 */
export function projectContainerSpec(
  req: ProjectContainerRequest,
  parts: ProjectContainerParts,
): ContainerSpec {
  return {
    image: req.image,
    name: req.name,
    cmd: req.cmd,
    env: { ...req.env, ...parts.configEnv, ...req.platformEnv, ...parts.access?.env },
    labels: {
      'roro.managed': 'true',
      'roro.kind': req.kind,
      'roro.project': req.project.name,
      ...req.labels,
      ...parts.access?.labels,
    },
    workdir: req.workdir,
    port: req.port,
    mounts: [...parts.volumes, ...(parts.access?.mounts ?? [])],
    limits: req.limits,
    user: req.user,
    restart: req.restart,
    network: parts.network,
    ...(req.spreadAmong ? { spreadAmong: req.spreadAmong } : {}),
  };
}

/**
 * Builds the spec and starts the container, then binds the API token to it. Config values and the
 * token are read and made here, in the activity that starts the container, so they never pass
 * through workflow inputs, outputs or history.
 */
export async function startProjectContainer(
  deps: { env: PlatformEnv; db: Pool; driver: ContainerDriver },
  req: ProjectContainerRequest,
): Promise<{ id: string; hostPort?: number; hostAddress?: string }> {
  const { db, driver } = deps;
  const home = deps.env.home;
  const { id, name } = req.project;
  const configEnv = id ? await loadConfigEnv(db, home, id) : {};
  const volumes = req.volumes ?? (id ? await projectVolumeMounts(db, home, id) : []);
  const access = id
    ? await platformAccess(deps, { projectId: id, project: name, purpose: req.purpose ?? req.name })
    : undefined;
  const network = id ? projectNetwork(home, { id, name }) : undefined;
  const started = await driver.run(projectContainerSpec(req, { configEnv, volumes, access, network }));
  if (access) await bindPlatformAccess(db, access, started.id);
  if (req.port !== undefined && !started.hostPort)
    throw new Error(`container ${req.name} has no published port`);
  return started;
}
