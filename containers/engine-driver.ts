import type Docker from 'dockerode';
import type { PlatformEnv } from '../core/config.js';
import { readRegistryLogin } from '../core/cluster-setting.js';
import type { ContainerDriver } from './driver.js';
import { LocalDockerDriver } from './local-driver.js';
import { SwarmDriver } from './swarm-driver.js';

/**
 * The platform's container driver: the Swarm driver in cluster mode (`roro server up --cluster`,
 * remembered in RORO_HOME), else the local driver of one engine.
 */
export function platformDriver(docker: Docker, env: Pick<PlatformEnv, 'cluster' | 'home'>): ContainerDriver {
  return env.cluster
    ? new SwarmDriver(docker, () => readRegistryLogin(env.home))
    : new LocalDockerDriver(docker);
}
