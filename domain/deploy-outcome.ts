import type { Pool, PoolClient } from 'pg';
import { withTransaction } from '../db/transaction.js';
import { insertDeployEvent } from './deploy-events.js';

/** A deploy has one terminal event of each kind, whoever writes it and however often. */
const DONE_KEY = 'done';
const FAILED_KEY = 'failed';

/**
 * Marks a running deploy failed with its reason and one `failed` event, in one transaction; false
 * (and nothing written) when it had already ended, so a retry or a second closer is a no-op.
 */
export async function markDeployFailed(
  db: Pool | PoolClient,
  deployId: string,
  message: string,
  logs: string[] = [],
): Promise<boolean> {
  const res = await db.query(
    `UPDATE deploys SET status = 'failed', error = $2, finished_at = now() WHERE id = $1 AND status = 'running'`,
    [deployId, message],
  );
  if (!res.rowCount) return false;
  await insertDeployEvent(db, deployId, 'failed', message, { logs }, FAILED_KEY);
  return true;
}

/** Ends a deploy: its `done` event and the status change land together; a second call changes nothing. */
export async function markDeploySucceeded(pool: Pool, deployId: string, outcome: unknown): Promise<void> {
  const version = (outcome as { version?: number }).version;
  await withTransaction(pool, async (client) => {
    await insertDeployEvent(client, deployId, 'done', `Deployed version ${version}`, outcome, DONE_KEY);
    // Not only from running: a deploy the API gave up on while starting it may have started after all.
    await client.query(
      `UPDATE deploys SET status = 'succeeded', finished_at = now() WHERE id = $1 AND status <> 'succeeded'`,
      [deployId],
    );
  });
}
