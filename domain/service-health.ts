import type { Pool } from 'pg';
import type { ContainerDriver } from '../containers/driver.js';

/** What a service is doing now, from the engine's containers and the healer's probes. */
type ServiceState = 'running' | 'degraded' | 'crash-looping' | 'down' | 'deploying' | 'stopped';

export interface ServiceHealth {
  name: string;
  state: ServiceState;
  release: number | null;
  /** Instances the service should have. */
  desired: number;
  /** Containers of the serving rollout whose process runs. */
  running: number;
  /** Of those, the ones that answer their health probe (what the gateway sends requests to). */
  ready: number;
  /** Exits of the serving rollout's instances while they should have run. */
  restarts: number;
  lastExit: { reason: string; at: string } | null;
  updatedAt: string;
}

/** Exits this close together, with nothing serving, mean the service is crash-looping. */
const CRASH_LOOP_EXITS = 3;
const CRASH_LOOP_WINDOW_MS = 5 * 60_000;

/** Pure: the state word shown by `roro ps`; never `running` unless every wanted instance runs. */
export function classifyService(s: {
  desiredState: 'running' | 'stopped';
  deployRunning: boolean;
  desired: number;
  running: number;
  ready: number;
  restarting: number;
  restarts: number;
  lastExitAt: number | null;
  now: number;
}): ServiceState {
  if (s.deployRunning) return 'deploying';
  if (s.desiredState === 'stopped') return 'stopped';
  const ready = Math.min(s.ready, s.running);
  if (ready >= s.desired && s.desired > 0) return 'running';
  if (ready > 0) return 'degraded';
  const recentExits = s.lastExitAt !== null && s.now - s.lastExitAt < CRASH_LOOP_WINDOW_MS;
  if (s.restarting > 0 || (s.restarts >= CRASH_LOOP_EXITS && recentExits)) return 'crash-looping';
  return 'down';
}

interface Row {
  name: string;
  desired_state: 'running' | 'stopped';
  release_version: number | null;
  deploy_id: string | null;
  instances: number;
  ready: number;
  restarts: number;
  last_exit: string | null;
  last_exit_at: Date | null;
  updated_at: Date;
  deploy_running: boolean;
}

/** Every service of the project as it is now: the database's wishes against the engine's containers. */
export async function loadServiceHealth(
  db: Pool,
  driver: ContainerDriver,
  project: { id: string; name: string },
  /** A deploy that asks about the project while it runs itself (its failure message). */
  exceptDeployId = '',
): Promise<ServiceHealth[]> {
  const res = await db.query<Row>(
    `SELECT s.name, s.desired AS desired_state, s.release_version, s.deploy_id, s.instances, s.ready,
            s.restarts, s.last_exit, s.last_exit_at, s.updated_at,
            EXISTS (SELECT 1 FROM deploys d WHERE d.project_id = s.project_id AND d.status = 'running' AND d.id <> $2) AS deploy_running
     FROM services s WHERE s.project_id = $1 ORDER BY s.name`,
    [project.id, exceptDeployId],
  );
  const containers = res.rows.length
    ? await driver.list({ 'roro.project': project.name, 'roro.kind': 'service' })
    : [];
  const now = Date.now();
  return res.rows.map((r) => {
    const mine = containers.filter(
      (c) => c.labels['roro.service'] === r.name && c.labels['roro.deploy'] === r.deploy_id,
    );
    const running = mine.filter((c) => c.state === 'running').length;
    const restarting = mine.filter((c) => c.state === 'restarting').length;
    const desired = r.desired_state === 'running' ? r.instances : 0;
    return {
      name: r.name,
      state: classifyService({
        desiredState: r.desired_state,
        deployRunning: r.deploy_running,
        desired,
        running,
        ready: r.ready,
        restarting,
        restarts: r.restarts,
        lastExitAt: r.last_exit_at?.getTime() ?? null,
        now,
      }),
      release: r.release_version,
      desired,
      running,
      ready: Math.min(r.ready, running),
      restarts: r.restarts,
      lastExit: r.last_exit ? { reason: r.last_exit, at: r.last_exit_at!.toISOString() } : null,
      updatedAt: r.updated_at.toISOString(),
    };
  });
}

/** One sentence on what serves the project now, for a failed deploy's message. */
export function servingSummary(services: ServiceHealth[]): string {
  const live = services.filter((s) => s.desired > 0);
  if (live.length === 0) return 'Nothing is serving: the project has no running service.';
  const parts = live.map(
    (s) =>
      `${s.name} v${s.release ?? '?'} (${s.ready} of ${s.desired} instance${s.desired === 1 ? '' : 's'} ready${s.state === 'running' ? '' : `, ${s.state}`})`,
  );
  const none = live.every((s) => s.ready === 0);
  const lacking = live.some((s) => s.ready < s.desired);
  return (
    `${none ? 'Nothing is serving' : 'Serving now'}: ${parts.join(', ')}.` +
    (lacking ? ' The platform restarts missing instances by itself; watch with `roro ps`.' : '')
  );
}
