import type { Pool } from 'pg';
import { RoroError } from '../core/errors.js';

/** A release as the releases table keeps it: what a deploy built, and from what. */
interface ReleaseRow {
  version: number;
  image: string;
  roro_yml: string;
  code_sha256: string | null;
}

/** The project's current release, its newest; undefined before the first deploy. */
export async function latestRelease(db: Pool, projectId: string): Promise<ReleaseRow | undefined> {
  const res = await db.query<ReleaseRow>(
    'SELECT version, image, roro_yml, code_sha256 FROM releases WHERE project_id = $1 ORDER BY version DESC LIMIT 1',
    [projectId],
  );
  return res.rows[0];
}

/** Thrown when something must run the current release and the project was never deployed. */
export function noReleaseYet(): RoroError {
  return new RoroError('The project has no release yet: run `roro deploy` first.', {
    code: 'no_release',
    status: 409,
  });
}

/**
 * A release whose lost image was rebuilt names the new one from now on (in cluster mode a new
 * digest), so later operations find it instead of rebuilding again.
 */
export async function setReleaseImage(
  db: Pick<Pool, 'query'>,
  release: { projectId: string; version: number; image: string },
): Promise<void> {
  await db.query('UPDATE releases SET image = $3 WHERE project_id = $1 AND version = $2', [
    release.projectId,
    release.version,
    release.image,
  ]);
}
