import type { Pool, PoolClient } from 'pg';
import { withTransaction } from '../db/transaction.js';
import { removeUpload } from '../core/release-code.js';
import type { ActivityDeps } from './index.js';
import type { ContainerDriver } from './docker/driver.js';
import { emitEvent } from './events.js';
import { describeProjectServing } from './serving-state.js';

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
  await emitEvent(db, deployId, 'failed', message, { logs }, FAILED_KEY);
  return true;
}

/** Ends a deploy: its `done` event and the status change land together; a second call changes nothing. */
export async function markDeploySucceeded(pool: Pool, deployId: string, outcome: unknown): Promise<void> {
  const version = (outcome as { version?: number }).version;
  await withTransaction(pool, async (client) => {
    await emitEvent(client, deployId, 'done', `Deployed version ${version}`, outcome, DONE_KEY);
    // Not only from running: a deploy the API gave up on while starting it may have started after all.
    await client.query(
      `UPDATE deploys SET status = 'succeeded', finished_at = now() WHERE id = $1 AND status <> 'succeeded'`,
      [deployId],
    );
  });
}

export function createDeployEndActivities(deps: ActivityDeps & { driver: ContainerDriver }) {
  return {
    /**
     * Fails a deploy wherever it stopped (planning, the route switch, retiring, recording, the
     * schedules) with a message that ends by saying what serves the project now; returns that.
     */
    async failDeployNamingState(input: {
      deployId: string;
      message: string;
      logs?: string[];
      /** Set once routes have switched: then the routes say what serves, and this release is it. */
      switched?: { release: number };
    }): Promise<string> {
      const res = await deps.db.query<{ project_id: string; project: string }>(
        `SELECT d.project_id::text, p.name AS project FROM deploys d JOIN projects p ON p.id = d.project_id
         WHERE d.id = $1`,
        [input.deployId],
      );
      const row = res.rows[0];
      if (!row) return 'The deploy no longer exists (was its project deleted?).';
      const serving = await describeProjectServing(
        { db: deps.db, driver: deps.driver },
        { id: row.project_id, name: row.project },
        {
          deployId: input.deployId,
          release: input.switched?.release ?? 0,
          switched: input.switched !== undefined,
        },
      );
      await withTransaction(deps.db, (client) =>
        markDeployFailed(client, input.deployId, `${input.message} ${serving}`, input.logs),
      );
      await removeUpload(deps.env.home, input.deployId);
      return serving;
    },
  };
}
