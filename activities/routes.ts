import type { Pool, PoolClient } from 'pg';
import { withTransaction } from '../db/transaction.js';
import { PLATFORM_PROJECT } from '../core/names.js';
import type { ActivityDeps } from './deps.js';
import type { Route } from '../gateway/nginx-config.js';
import { platformGateway } from '../gateway/platform-gateway.js';
import type { Gateway } from '../gateway/gateway.js';

/** Every route the gateway should serve, from the database (the source of truth). */
export async function loadRoutes(db: Pool | PoolClient): Promise<Route[]> {
  const res = await db.query<{ project: string; service: string; upstreams: string[] }>(
    `SELECT p.name AS project, r.service, r.upstreams FROM routes r JOIN projects p ON p.id = r.project_id
     UNION ALL SELECT $1, service, upstreams FROM platform_routes ORDER BY 1, 2`,
    [PLATFORM_PROJECT],
  );
  return res.rows;
}

/** Any constant: it orders the processes that send the route table (worker, healer). */
const PUBLISH_LOCK = 7_400_002;

/**
 * Sends the database's route table to the gateway. Reading and sending happen under one lock, so
 * when two processes publish at once the one that sends last also read last: the gateway never
 * ends up with an older table than the database's.
 */
export async function publishRoutes(db: Pool, gateway: Gateway): Promise<void> {
  await withTransaction(db, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [PUBLISH_LOCK]);
    await gateway.applyRoutes(await loadRoutes(client));
  });
}

export function createRouteActivities(deps: ActivityDeps) {
  let gateway: Promise<Gateway> | undefined;
  const apply = async () => {
    gateway ??= platformGateway(deps.env);
    await publishRoutes(deps.db, await gateway);
  };
  return {
    /** Points the service's route at the new instances: the gateway updates its route table in place, with no reload, so no request is dropped. */
    async switchRoute(input: {
      projectId: string;
      service: string;
      upstreams: string[];
      deployId: string;
    }): Promise<void> {
      await deps.db.query(
        `INSERT INTO routes (project_id, service, upstreams, deploy_id, updated_at) VALUES ($1, $2, $3, $4, now())
         ON CONFLICT (project_id, service) DO UPDATE SET upstreams = $3, deploy_id = $4, updated_at = now()`,
        [input.projectId, input.service, input.upstreams, input.deployId],
      );
      await apply();
    },

    async removeRoutes(input: { projectId: string; services: string[] }): Promise<void> {
      if (input.services.length === 0) return;
      await deps.db.query('DELETE FROM routes WHERE project_id = $1 AND service = ANY($2)', [
        input.projectId,
        input.services,
      ]);
      await apply();
    },

    async syncGateway(): Promise<void> {
      await apply();
    },
  };
}
