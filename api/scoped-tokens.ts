import Docker from 'dockerode';
import type { Pool } from 'pg';
import { parsePlatformEnv } from '../core/config.js';
import { AuthError, ForbiddenError, NotFoundError } from '../core/errors.js';
import { TOKEN_LABEL } from '../core/labels.js';
import type { ContainerDriver } from '../containers/driver.js';
import { platformDriver } from '../containers/engine-driver.js';

/** The endpoints a container's token may call, below /v1/projects/<its project>/. */
const SCOPED_AREAS = ['models', 'jobs'];
const ALIVE_CACHE_MS = 5000;

let driver: ContainerDriver | undefined;
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

/** A container's token as the API finds it: bound to a container id once that is known. */
interface ContainerToken {
  id: string;
  containerId: string | null;
  /** The random value of the container's roro.api-token label (null for tokens made before it). */
  containerLabel: string | null;
}

type Life = 'running' | 'stopped' | 'gone';

/**
 * A scoped token lives exactly as long as its container: the container whose Docker id was
 * recorded when it started, checked by that id, so a container of another platform on the same
 * engine can never keep it alive. When that container is gone the token is revoked for good; a
 * stopped but existing container only pauses it.
 */
export async function checkTokenContainer(db: Pool, token: ContainerToken): Promise<void> {
  const until = alive.get(token.id);
  if (until && until > Date.now()) return;
  if (!driver) {
    const env = parsePlatformEnv();
    driver = platformDriver(new Docker({ socketPath: env.dockerSocket }), env);
  }
  const life = token.containerId
    ? await containerLife(driver, token.containerId)
    : await bindByLabel(db, token);
  if (life === 'running') {
    if (alive.size > 10_000) alive.clear();
    alive.set(token.id, Date.now() + ALIVE_CACHE_MS);
    return;
  }
  alive.delete(token.id);
  if (life === 'gone') await db.query('UPDATE api_tokens SET revoked_at = now() WHERE id = $1', [token.id]);
  throw new AuthError(
    'This container token is no longer valid: the container it was issued to is gone or stopped.',
    'Tokens in RORO_API_TOKEN work only inside the running container they were issued to.',
  );
}

async function containerLife(engine: ContainerDriver, id: string): Promise<Life> {
  try {
    return (await engine.inspect(id)).state === 'running' ? 'running' : 'stopped';
  } catch (err) {
    if (err instanceof NotFoundError) return 'gone';
    throw err;
  }
}

/**
 * A call that comes before the activity recorded the container's id: the one running container
 * with the token's label is bound now. Several carrying it (possible only for the small-id labels
 * of tokens made before labels were random) are refused rather than guessed between.
 */
async function bindByLabel(db: Pool, token: ContainerToken): Promise<Life> {
  const list = await driver!.list({ [TOKEN_LABEL]: token.containerLabel ?? token.id });
  const running = list.filter((c) => c.state === 'running');
  if (running.length !== 1) return list.length ? 'stopped' : 'gone';
  const res = await db.query<{ container_id: string }>(
    `UPDATE api_tokens SET container_id = COALESCE(container_id, $2) WHERE id = $1 RETURNING container_id`,
    [token.id, running[0]!.id],
  );
  const bound = res.rows[0]?.container_id ?? running[0]!.id;
  return bound === running[0]!.id ? 'running' : containerLife(driver!, bound);
}
