import Docker from 'dockerode';
import type { PlatformEnv } from '../core/config.js';
import type { ContainerDriver } from '../containers/driver.js';
import { platformDriver } from '../containers/engine-driver.js';

/** A router's container driver, created on first use so an API without Docker (unit tests) still loads. */
export function lazyDriver(env: PlatformEnv): () => ContainerDriver {
  let driver: ContainerDriver | undefined;
  return () => (driver ??= platformDriver(new Docker({ socketPath: env.dockerSocket }), env));
}
