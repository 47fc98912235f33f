import type { Readable } from 'node:stream';
import type { ActivityDeps } from './deps.js';
import { BASE_IMAGE, imageExists } from './images.js';
import { readRegistryLogin } from '../core/cluster-setting.js';
import { RoroError } from '../core/errors.js';
import {
  pullNotFound,
  pushImage,
  pushError,
  registryAuth,
  splitTag,
  type PushEvent,
  type RegistryLogin,
} from '../containers/registry-push.js';

/**
 * Images in cluster mode: what a build made goes to the platform's registry, and the release records
 * the project image by digest, so every node pulls exactly that image. Off cluster mode the local
 * tags stay as they are.
 */

function registryLogin(deps: ActivityDeps): RegistryLogin {
  const login = readRegistryLogin(deps.env.home);
  if (!login)
    throw new RoroError('Cluster mode is on but the registry has not been set up in RORO_HOME.', {
      status: 503,
      code: 'registry_unreachable',
      hint: 'Start the platform with `roro server up --cluster`: it makes the registry, its TLS and its login.',
    });
  return login;
}

/**
 * Pushes the base, runtime and project images of a build (the first two change rarely: their push
 * only checks layers) and returns the project image's digest reference; off cluster mode, its tag.
 */
export async function publishBuild(
  deps: ActivityDeps,
  built: { runtimeImage: string; image: string },
  onLog?: (line: string) => void,
): Promise<string> {
  if (!deps.env.cluster) return built.image;
  const login = registryLogin(deps);
  onLog?.(`-----> Pushing ${built.image} to the cluster's registry at ${login.address}`);
  for (const image of [BASE_IMAGE, built.runtimeImage])
    await pushImage(deps.docker, image, splitTag(image), login);
  const ref = await pushImage(deps.docker, built.image, splitTag(built.image), login);
  onLog?.(`       ${ref}`);
  return ref;
}

/**
 * Whether the engine has a release's image, or (in cluster mode) can pull it back from the registry
 * within `pullTimeoutMs`: a restored manager then gets the very image the release recorded instead
 * of a rebuild. Only the registry's answer that it lacks the image means no; a registry that cannot
 * be reached or does not answer in time is an error the activity retries, never a reason to
 * replace the release's image with a rebuild.
 */
export async function releaseImageAvailable(
  deps: ActivityDeps,
  ref: string,
  pullTimeoutMs: number,
): Promise<boolean> {
  if (await imageExists(deps.docker, ref)) return true;
  const login = deps.env.cluster ? readRegistryLogin(deps.env.home) : undefined;
  if (!login || !ref.startsWith(`${login.address}/`)) return false;
  try {
    const stream = (await deps.docker.pull(ref, {
      authconfig: registryAuth(login),
      abortSignal: AbortSignal.timeout(pullTimeoutMs),
    })) as Readable;
    const events = await new Promise<PushEvent[]>((resolve, reject) =>
      deps.docker.modem.followProgress(stream, (err: Error | null, out: PushEvent[]) =>
        err ? reject(err) : resolve(out ?? []),
      ),
    );
    const failed = pushError(events);
    if (failed && !pullNotFound(failed)) throw new Error(failed);
    return !failed && (await imageExists(deps.docker, ref));
  } catch (err) {
    if (pullNotFound(err as { statusCode?: number; message?: string })) return false;
    throw new RoroError(
      `The registry at ${login.address} did not give back ${ref} within ${Math.round(pullTimeoutMs / 1000)} s: ${(err as Error).message}.`,
      {
        status: 503,
        code: 'registry_unreachable',
        hint: 'Check `roro server status` (the registry row); the operation is tried again.',
      },
    );
  }
}
