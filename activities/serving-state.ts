import type { Pool } from 'pg';
import type { ContainerDriver, ContainerSummary } from '../containers/driver.js';
import { upstreamOf } from '../core/upstream.js';
import {
  classifyService,
  loadServiceHealth,
  servingSummary,
  type ServiceHealth,
} from '../domain/service-health.js';

export interface RouteRow {
  service: string;
  upstreams: string[];
  deployId: string;
  /** The release the routed deploy recorded; null while it has not recorded one. */
  release: number | null;
}

/**
 * Pure: what the gateway sends each service's requests to, as ServiceHealth for servingSummary.
 * After a deploy has switched routes this is the truth, while the services table still names the
 * release before it (recordRelease comes last). An instance counts as ready when it is routed and
 * its container runs.
 */
export function routedHealth(
  routes: RouteRow[],
  containers: ContainerSummary[],
  /** The deploy asking, and the release it would record (null when unknown). */
  current: { deployId: string; release: number | null },
  now = Date.now(),
): ServiceHealth[] {
  return routes.map((r) => {
    const routed = containers.filter(
      (c) =>
        c.labels['roro.service'] === r.service &&
        c.labels['roro.deploy'] === r.deployId &&
        c.state === 'running' &&
        c.hostPort !== undefined &&
        r.upstreams.includes(upstreamOf({ hostPort: c.hostPort, hostAddress: c.hostAddress })),
    ).length;
    const desired = r.upstreams.length;
    return {
      name: r.service,
      state: classifyService({
        desiredState: 'running',
        deployRunning: false,
        desired,
        running: routed,
        ready: routed,
        restarting: 0,
        restarts: 0,
        lastExitAt: null,
        now,
      }),
      release: r.deployId === current.deployId ? (current.release ?? r.release) : r.release,
      desired,
      running: routed,
      ready: routed,
      restarts: 0,
      lastExit: null,
      updatedAt: new Date(now).toISOString(),
    };
  });
}

/**
 * One sentence on what serves the project now. Before a deploy switches routes the services table
 * says it; once it has (`switched`), the routes do. A failure to look is said, never thrown: the
 * deploy must still end.
 */
export async function describeProjectServing(
  deps: { db: Pool; driver: ContainerDriver },
  project: { id: string; name: string },
  deploy: { deployId: string; release: number | null; switched: boolean },
): Promise<string> {
  try {
    if (!deploy.switched)
      return servingSummary(await loadServiceHealth(deps.db, deps.driver, project, deploy.deployId));
    // Notebook routes have no deploy row, so the join leaves them out.
    const res = await deps.db.query<{
      service: string;
      upstreams: string[];
      deploy_id: string;
      version: number | null;
    }>(
      `SELECT r.service, r.upstreams, r.deploy_id, d.version FROM routes r JOIN deploys d ON d.id = r.deploy_id
       WHERE r.project_id = $1 ORDER BY r.service`,
      [project.id],
    );
    const routes = res.rows.map((r) => ({
      service: r.service,
      upstreams: r.upstreams,
      deployId: r.deploy_id,
      release: r.version,
    }));
    const containers = routes.length
      ? await deps.driver.list({ 'roro.project': project.name, 'roro.kind': 'service' })
      : [];
    return servingSummary(routedHealth(routes, containers, deploy));
  } catch (err) {
    return `What serves now could not be read (${(err as Error).message}); run \`roro ps\` to see.`;
  }
}
