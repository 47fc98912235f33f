import type { Pool } from 'pg';
import type Docker from 'dockerode';
import type { PlatformEnv } from '../core/config.js';
import type { ContainerDriver } from '../containers/driver.js';

/** The clients every activity is built from (createActivities in index.ts); tests pass their own. */
export interface ActivityDeps {
  env: PlatformEnv;
  db: Pool;
  docker: Docker;
  driver?: ContainerDriver;
}
