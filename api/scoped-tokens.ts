import Docker from 'dockerode';
import type { Pool } from 'pg';
import { parsePlatformEnv } from '../core/config.js';
import { AuthError, ForbiddenError, NotFoundError } from '../core/errors.js';

/** The label that ties a container to the project-scoped token it was started with. */
export const TOKEN_LABEL = 'roro.api-token';
/** The endpoints a container's token may call, below /v1/projects/<its project>/. */
const SCOPED_AREAS = ['models', 'jobs'];
const ALIVE_CACHE_MS = 5000;

let docker: Docker | undefined;
const alive = new Map<string, number>();

/** A scoped token reaches only its own project's model and job endpoints. */
export function checkScopedPath(originalUrl: string, project: string): void {
  const pathname = originalUrl.split('?')[0] ?? '';
  const m = /^\/v1\/projects\/([^/]+)(?:\/([^/]+))?/.exec(pathname);
  if (!m || decodeURIComponent(m[1] ?? '') !== project) {
    const name = m ? decodeURIComponent(m[1] ?? '') : '';
    if (name)
      throw new NotFoundError(`Project ${name} not found.`, `This token belongs to project ${project}.`);
    throw new ForbiddenError(`A container's token may only use project ${project}'s models and jobs.`);
  }
  if (!SCOPED_AREAS.includes(m[2] ?? ''))
    throw new ForbiddenError(
      `A container's token may only use project ${project}'s models and jobs.`,
      'Use your own token (`roro login`) for anything else.',
    );
}

/**
 * A scoped token lives exactly as long as its container: when no container carries its label any
 * more, the token is revoked for good. A stopped but existing container only pauses it.
 */
export async function checkTokenContainer(db: Pool, tokenId: string): Promise<void> {
  const until = alive.get(tokenId);
  if (until && until > Date.now()) return;
  docker ??= new Docker({ socketPath: parsePlatformEnv().dockerSocket });
  const list = await docker.listContainers({ all: true, filters: { label: [`${TOKEN_LABEL}=${tokenId}`] } });
  if (list.some((c) => c.State === 'running')) {
    if (alive.size > 10_000) alive.clear();
    alive.set(tokenId, Date.now() + ALIVE_CACHE_MS);
    return;
  }
  alive.delete(tokenId);
  if (!list.length) await db.query('UPDATE api_tokens SET revoked_at = now() WHERE id = $1', [tokenId]);
  throw new AuthError(
    'This container token is no longer valid: the container it was issued to is gone or stopped.',
    'Tokens in RORO_API_TOKEN work only inside the running container they were issued to.',
  );
}
