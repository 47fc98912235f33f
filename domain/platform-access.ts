import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import type { Pool } from 'pg';
import { apiSocketDir, type PlatformEnv } from '../core/config.js';
import type { MountSpec } from '../containers/driver.js';
import { hashToken, newToken } from '../domain/passwords.js';
import { TOKEN_LABEL } from '../core/labels.js';

/** Where containers find the API socket: RORO_HOME/run/api mounted read-only. */
export const CONTAINER_API_DIR = '/run/roro';

export interface PlatformAccess {
  env: { RORO_API_SOCKET: string; RORO_API_TOKEN: string; RORO_PROJECT: string };
  mounts: MountSpec[];
  /** A random value no other container carries, which finds the container until it is bound. */
  labels: Record<string, string>;
  tokenId: string;
}

/**
 * What a container needs to call the API with no setup: the socket and a fresh token that may
 * only use this project's model and job endpoints. Call it inside the activity that starts the
 * container, so the token never enters workflow inputs, outputs or history; merge all three parts
 * into the container spec. The token acts as the project's owner, and is valid only while a
 * container with `labels` runs, then only while the container bound to it by `bindPlatformAccess`
 * runs (api/scoped-tokens.ts).
 */
export async function platformAccess(
  deps: { env: PlatformEnv; db: Pool },
  input: { projectId: string; project: string; purpose: string },
): Promise<PlatformAccess> {
  const token = newToken();
  const label = crypto.randomBytes(16).toString('hex');
  const res = await deps.db.query<{ id: string }>(
    `INSERT INTO api_tokens (user_id, token_hash, description, project_id, container_label)
     SELECT owner_id, $2, $3, id, $4 FROM projects WHERE id = $1
     RETURNING id`,
    [input.projectId, hashToken(token), `container: ${input.purpose}`.slice(0, 200), label],
  );
  const row = res.rows[0];
  if (!row) throw new Error(`project ${input.project} (${input.projectId}) has no record`);
  // Docker refuses a bind mount whose source is missing; the API may not have made it yet.
  await fs.mkdir(apiSocketDir(deps.env.home), { recursive: true, mode: 0o755 });
  return {
    env: {
      RORO_API_SOCKET: `${CONTAINER_API_DIR}/api.sock`,
      RORO_API_TOKEN: token,
      RORO_PROJECT: input.project,
    },
    mounts: [
      { source: apiSocketDir(deps.env.home), target: CONTAINER_API_DIR, readOnly: true, optional: true },
    ],
    labels: { [TOKEN_LABEL]: label },
    tokenId: String(row.id),
  };
}

/**
 * Binds the token to the container just started with it: from now on it is valid only while that
 * exact container runs, whatever else carries the same label. The API may have bound it already,
 * on the container's first call; the first binding stays.
 */
export async function bindPlatformAccess(
  db: Pool,
  access: PlatformAccess,
  containerId: string,
): Promise<void> {
  await db.query('UPDATE api_tokens SET container_id = $2 WHERE id = $1 AND container_id IS NULL', [
    access.tokenId,
    containerId,
  ]);
}
