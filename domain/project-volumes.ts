import type { Pool } from 'pg';
import { volumeDir } from '../core/config.js';
import type { MountSpec } from '../containers/driver.js';

/** Every volume of the project, mounted at /volumes/<name> in its services, jobs and notebooks. */
export async function projectVolumeMounts(db: Pool, home: string, projectId: string): Promise<MountSpec[]> {
  const res = await db.query<{ name: string }>(
    'SELECT name FROM volumes WHERE project_id = $1 ORDER BY name',
    [projectId],
  );
  return res.rows.map((v) => ({ source: volumeDir(home, projectId, v.name), target: `/volumes/${v.name}` }));
}
