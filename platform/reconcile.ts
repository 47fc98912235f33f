import type { PlatformEnv } from '../core/config.js';
import { RoroError } from '../core/errors.js';
import { createPool } from '../db/pool.js';
import { connectTemporal } from '../temporal/connection.js';
import { createOperation } from '../api/deploys.js';
import type { Project } from '../api/projects.js';
import { dockerClient } from './components.js';

interface Wanted {
  projectId: string;
  project: string;
  ownerId: string;
  service: string;
  instances: number;
}

/**
 * After a start, services that should run but lost their containers (the Docker engine was
 * stopped with the platform, or the machine rebooted) are rolled out again from their current
 * release, through the same deploy workflow as `roro restart`.
 */
export async function reconcileServices(env: PlatformEnv, log: (line: string) => void): Promise<string[]> {
  const db = createPool(env, 2);
  const { client, connection } = await connectTemporal(env);
  const restarted: string[] = [];
  try {
    const res = await db.query<Wanted>(
      `SELECT p.id AS "projectId", p.name AS project, p.owner_id AS "ownerId", s.name AS service, s.instances
       FROM services s JOIN projects p ON p.id = s.project_id WHERE s.desired = 'running' ORDER BY p.name`,
    );
    const byProject = new Map<string, Wanted[]>();
    for (const w of res.rows) byProject.set(w.project, [...(byProject.get(w.project) ?? []), w]);
    // One look at the engine: running service containers counted by project and service.
    const running = new Map<string, number>();
    const containers = await dockerClient(env).listContainers({
      filters: { label: ['roro.kind=service'], status: ['running'] },
    });
    for (const c of containers) {
      const key = `${c.Labels['roro.project']}/${c.Labels['roro.service']}`;
      running.set(key, (running.get(key) ?? 0) + 1);
    }
    for (const [project, services] of byProject) {
      const missing = services.filter(
        (s) => (running.get(`${project}/${s.service}`) ?? 0) < Math.max(1, s.instances),
      );
      if (missing.length === 0) continue;
      const first = services[0]!;
      const p = { id: String(first.projectId), name: project } as Project;
      try {
        await createOperation({ env, db, temporal: client }, p, String(first.ownerId), 'restart', {});
        restarted.push(project);
        log(
          `${project}: ${missing.map((s) => s.service).join(', ')} not running; restarting from the current release`,
        );
      } catch (err) {
        if (!(err instanceof RoroError)) throw err;
        log(`${project}: not restarted: ${err.message}`);
      }
    }
  } finally {
    await connection.close();
    await db.end();
  }
  return restarted;
}
