import type Docker from 'dockerode';
import type { PlatformEnv } from '../core/config.js';
import type { ContainerDriver } from './driver.js';
import { LocalDockerDriver } from './local-driver.js';
import { SwarmDriver } from './swarm-driver.js';

/**
 * The platform's container driver: the Swarm driver in cluster mode (`roro server up --cluster`,
 * remembered in RORO_HOME), else the local driver of one engine.
 */
export function platformDriver(docker: Docker, env: Pick<PlatformEnv, 'cluster'>): ContainerDriver {
  return env.cluster ? new SwarmDriver(docker) : new LocalDockerDriver(docker);
}
