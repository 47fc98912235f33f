import { ApplicationFailure } from '@temporalio/activity';
import type { Pool } from 'pg';
import { volumeDir } from '../core/config.js';
import { localHostCapacity, resolveSize } from '../core/sizes.js';
import type { ContainerDriver, ContainerStatus, MountSpec } from '../containers/driver.js';
import { NotFoundError } from '../core/errors.js';
import { userFailure } from './deploys.js';

/** What every project container (service, job, notebook) is built from: shared by their activities. */

/** The project's newest release; without one there is nothing to run. */
export async function latestRelease(
  db: Pool,
  projectId: string,
): Promise<{ version: number; image: string }> {
  const rel = await db.query<{ version: number; image: string }>(
    'SELECT version, image FROM releases WHERE project_id = $1 ORDER BY version DESC LIMIT 1',
    [projectId],
  );
  const release = rel.rows[0];
  if (!release) {
    throw ApplicationFailure.nonRetryable(
      'The project has no release yet: run `roro deploy` first.',
      'no_release',
    );
  }
  return release;
}

/** CPU and memory limits of a named size; an unknown or too large size is the user's error. */
export function containerLimits(size: string | undefined): { cpus: number; memoryBytes: number } {
  try {
    const s = resolveSize(size, localHostCapacity());
    return { cpus: s.cpus, memoryBytes: s.memoryBytes };
  } catch (err) {
    return userFailure(err);
  }
}

/** Every volume of the project, mounted at /volumes/<name>. */
export async function projectVolumeMounts(db: Pool, home: string, projectId: string): Promise<MountSpec[]> {
  const res = await db.query<{ name: string }>(
    'SELECT name FROM volumes WHERE project_id = $1 ORDER BY name',
    [projectId],
  );
  return res.rows.map((v) => ({ source: volumeDir(home, projectId, v.name), target: `/volumes/${v.name}` }));
}

/** The container's state, or undefined when it no longer exists. */
export async function inspectOrGone(
  driver: ContainerDriver,
  name: string,
): Promise<ContainerStatus | undefined> {
  try {
    return await driver.inspect(name);
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
}
