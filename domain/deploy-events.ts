import type { Pool, PoolClient } from 'pg';

export type DeployEventKind = 'phase' | 'phase_done' | 'log' | 'info' | 'warn' | 'done' | 'failed';

/**
 * Appends one progress event that `roro deploy` streams; events outlive the workflow run. With a
 * key, a second write of the same event is a no-op.
 */
export async function insertDeployEvent(
  db: Pool | PoolClient,
  deployId: string,
  kind: DeployEventKind,
  message: string,
  data: unknown,
  key: string | undefined,
): Promise<void> {
  await db.query(
    `INSERT INTO deploy_events (deploy_id, kind, message, data, key) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (deploy_id, key) WHERE key IS NOT NULL DO NOTHING`,
    [deployId, kind, message, data === undefined ? null : JSON.stringify(data), key ?? null],
  );
}
