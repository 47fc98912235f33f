import type { ActivityDeps } from './deps.js';
import type { DeployPlan, DeployRow } from './deploys.js';
import { buildProjectImage, ensureRuntimeImage } from './images.js';
import { publishBuild, releaseImageAvailable } from './cluster-images.js';
import { emitEvent } from './events.js';
import { RoroError } from '../core/errors.js';
import { parseRoroYml } from '../core/roro-yml.js';
import { resolveRuntime } from '../core/runtimes.js';
import { extractReleaseCode, removeUpload } from '../core/release-code.js';
import { latestRelease, setReleaseImage } from '../db/releases.js';

/**
 * How long planning a deploy waits for a release's image to be pulled back from the registry: its
 * activity has 30 s, and a retry goes on from the layers already pulled. A job or notebook, whose
 * image is made ready by a build activity (35 min, of which a build may take 30), waits longer.
 */
const PLAN_PULL_TIMEOUT_MS = 20_000;
const BUILD_PULL_TIMEOUT_MS = 4 * 60_000;

export interface ReleaseSource {
  image: string;
  release: number;
  codeSha256: string | null;
}

/** The tag a rebuilt image gets: the release's own, so the release row keeps naming an image that exists. */
function releaseTag(project: string, image: string, fallback: string): string {
  const prefix = `roro/app-${project}:`;
  return image.startsWith(prefix) ? image.slice(prefix.length) : fallback;
}

async function extractForRebuild(deps: ActivityDeps, projectId: string, src: ReleaseSource, workId: string) {
  if (!src.codeSha256) {
    throw new RoroError(`The image of release ${src.release} is gone and its code was not kept.`, {
      status: 409,
      code: 'release_code_missing',
      hint: 'Run `roro deploy` again from the project directory to build a new release.',
    });
  }
  return extractReleaseCode(deps.env.home, projectId, src.codeSha256, workId);
}

/**
 * When a release's image is gone from Docker (a machine restored from a backup, a pruned engine)
 * and, in cluster mode, cannot be pulled back from the registry,
 * a deploy operation plans a build of it from the release's kept code, under the same tag.
 * Undefined when the image is there.
 */
export async function rebuildIfMissing(
  deps: ActivityDeps,
  d: DeployRow,
  src: ReleaseSource,
  runtime: string,
): Promise<DeployPlan['build'] | undefined> {
  if (await releaseImageAvailable(deps, src.image, PLAN_PULL_TIMEOUT_MS)) return undefined;
  const codeDir = await extractForRebuild(deps, String(d.project_id), src, d.id);
  // Recorded so recordRelease and failDeploy remove the extracted code, as after an upload.
  await deps.db.query('UPDATE deploys SET code_dir = $2 WHERE id = $1', [d.id, codeDir]);
  await emitEvent(
    deps.db,
    d.id,
    'info',
    `Image ${src.image} of release ${src.release} is missing; rebuilding it from the release's kept code`,
  );
  return { runtime, codeDir, buildId: releaseTag(d.project, src.image, d.id), rebuildOf: src.release };
}

/**
 * Builds the latest release's image again if Docker lost it, before a job or notebook starts from
 * it. Returns the image when it was rebuilt.
 */
export async function rebuildLatestIfMissing(
  deps: ActivityDeps,
  input: { projectId: string; project: string; workId: string },
  opts: { signal?: AbortSignal; timeoutMs?: number },
): Promise<string | undefined> {
  const rel = await latestRelease(deps.db, input.projectId);
  if (!rel || (await releaseImageAvailable(deps, rel.image, BUILD_PULL_TIMEOUT_MS))) return undefined;
  const src = { image: rel.image, release: rel.version, codeSha256: rel.code_sha256 };
  const codeDir = await extractForRebuild(deps, input.projectId, src, input.workId);
  try {
    const runtime = resolveRuntime(parseRoroYml(rel.roro_yml, { project: input.project }).runtime).runtime
      .name;
    const base = await ensureRuntimeImage(deps.docker, runtime, opts);
    const { image } = await buildProjectImage(deps.docker, {
      project: input.project,
      buildId: releaseTag(input.project, rel.image, input.workId),
      runtimeImage: base.image,
      codeDir,
      ...opts,
    });
    const published = await publishBuild(deps, { runtimeImage: base.image, image });
    await setReleaseImage(deps.db, { projectId: input.projectId, version: rel.version, image: published });
    return published;
  } finally {
    await removeUpload(deps.env.home, input.workId);
  }
}
