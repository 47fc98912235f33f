import type { ActivityDeps } from './index.js';
import type { DeployPlan, DeployRow } from './deploys.js';
import { imageExists } from './images.js';
import { emitEvent } from './events.js';
import { RoroError } from '../core/errors.js';
import { extractReleaseCode } from '../core/release-code.js';

export interface ReleaseSource {
  image: string;
  release: number;
  codeSha256: string | null;
}

/**
 * When a release's image is gone from Docker (a machine restored from a backup, a pruned engine),
 * the operation builds it again from the release's kept code, under the same tag, so the release
 * row keeps naming an image that exists. Undefined when the image is there.
 */
export async function rebuildIfMissing(
  deps: ActivityDeps,
  d: DeployRow,
  src: ReleaseSource,
  runtime: string,
): Promise<DeployPlan['build'] | undefined> {
  if (await imageExists(deps.docker, src.image)) return undefined;
  if (!src.codeSha256) {
    throw new RoroError(`The image of release ${src.release} is gone and its code was not kept.`, {
      status: 409,
      code: 'release_code_missing',
      hint: 'Run `roro deploy` again from the project directory to build a new release.',
    });
  }
  const codeDir = await extractReleaseCode(deps.env.home, String(d.project_id), src.codeSha256, d.id);
  // Recorded so recordRelease and failDeploy remove the extracted code, as after an upload.
  await deps.db.query('UPDATE deploys SET code_dir = $2 WHERE id = $1', [d.id, codeDir]);
  await emitEvent(
    deps.db,
    d.id,
    'info',
    `Image ${src.image} of release ${src.release} is missing; rebuilding it from the release's kept code`,
  );
  const prefix = `roro/app-${d.project}:`;
  const tag = src.image.startsWith(prefix) ? src.image.slice(prefix.length) : d.id;
  return { runtime, codeDir, buildId: tag };
}
