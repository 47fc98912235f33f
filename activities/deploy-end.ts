import { withTransaction } from '../db/transaction.js';
import { removeUpload } from '../core/release-code.js';
import type { ActivityDeps } from './deps.js';
import type { ContainerDriver } from '../containers/driver.js';
import { markDeployFailed } from '../domain/deploy-outcome.js';
import { describeProjectServing } from './serving-state.js';

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
