/**
 * What a cell looks at: the workflow's pending activities (to fire at a boundary), whether it has
 * closed, and what it left behind: containers no row accounts for and rows still marked running.
 */
import Docker from 'dockerode';
import { retrying, sleep, type Session } from './session.js';

/**
 * Polls the workflow's pending activities until one of `activities` is pending; returns its name,
 * or undefined when the workflow closed (or the deadline passed) before that.
 */
export async function waitBoundary(
  s: Session,
  workflowId: string,
  activities: readonly string[],
  deadline: number,
): Promise<string | undefined> {
  const handle = s.temporal.workflow.getHandle(workflowId);
  while (Date.now() < deadline) {
    const d = await handle.describe().catch(() => undefined);
    const pending = d?.raw.pendingActivities?.map((a) => a.activityType?.name ?? '') ?? [];
    const hit = pending.find((name) => activities.includes(name));
    if (hit) return hit;
    if (d && d.status.name !== 'RUNNING') return undefined;
    await sleep(20);
  }
  return undefined;
}

/** Waits until the workflow is closed; false when it still runs at the deadline. */
export async function waitClosed(s: Session, workflowId: string, deadline: number): Promise<boolean> {
  const handle = s.temporal.workflow.getHandle(workflowId);
  while (Date.now() < deadline) {
    const d = await handle.describe().catch(() => undefined);
    if (d && d.status.name !== 'RUNNING') return true;
    await sleep(500);
  }
  return false;
}

interface Labelled {
  id: string;
  state: string;
  labels: Record<string, string>;
}

async function projectContainers(docker: Docker, project: string): Promise<Labelled[]> {
  const list = await docker.listContainers({ all: true, filters: { label: [`roro.project=${project}`] } });
  return list.map((c) => ({ id: c.Id.slice(0, 12), state: c.State, labels: c.Labels ?? {} }));
}

/**
 * Containers of the project that nothing accounts for: service containers of a roll-out that is
 * not the service's current one, job and notebook containers whose row has ended.
 */
export async function orphans(s: Session, project: string, projectId: string): Promise<string[]> {
  const docker = new Docker({ socketPath: s.env.dockerSocket });
  const containers = await retrying('listing containers', () => projectContainers(docker, project));
  const services = await s.query<{ name: string; deploy_id: string | null; desired: string }>(
    'SELECT name, deploy_id, desired FROM services WHERE project_id = $1',
    [projectId],
  );
  const jobs = await s.query<{ id: string }>(
    "SELECT id FROM jobs WHERE project_id = $1 AND status = 'running'",
    [projectId],
  );
  const notebooks = await s.query<{ id: string }>(
    "SELECT id FROM notebooks WHERE project_id = $1 AND status IN ('starting', 'running')",
    [projectId],
  );
  const current = new Map(
    services.rows.filter((r) => r.desired === 'running').map((r) => [r.name, r.deploy_id]),
  );
  const liveJobs = new Set(jobs.rows.map((r) => r.id));
  const liveNotebooks = new Set(notebooks.rows.map((r) => r.id));
  const out: string[] = [];
  for (const c of containers) {
    const l = c.labels;
    const what = `${c.id} (${c.state})`;
    if (l['roro.kind'] === 'service') {
      if (current.get(l['roro.service'] ?? '') !== l['roro.deploy'])
        out.push(`${what} service ${l['roro.service']} of rollout ${l['roro.deploy']}, not the current one`);
    } else if (l['roro.kind'] === 'job') {
      if (!liveJobs.has(l['roro.job'] ?? '')) out.push(`${what} job ${l['roro.job']} whose row has ended`);
    } else if (l['roro.kind'] === 'notebook') {
      if (!liveNotebooks.has(l['roro.notebook'] ?? ''))
        out.push(`${what} notebook ${l['roro.notebook']} whose row has ended`);
    }
  }
  return out;
}

/** Orphans, given a few seconds to go (removal may trail the row's end by a moment). */
export async function settledOrphans(s: Session, project: string, projectId: string): Promise<string[]> {
  let found: string[] = [];
  for (let i = 0; i < 20; i++) {
    found = await orphans(s, project, projectId);
    if (!found.length) return found;
    await sleep(500);
  }
  return found;
}

/** Rows of the project still marked running although nothing of the cell should run any more. */
export async function runningRows(s: Session, projectId: string): Promise<string[]> {
  const r = await s.query<{ what: string }>(
    `SELECT 'deploy ' || id || ' (' || kind || ')' AS what FROM deploys WHERE project_id = $1 AND status = 'running'
     UNION ALL SELECT 'job ' || id FROM jobs WHERE project_id = $1 AND status = 'running'
     UNION ALL SELECT 'notebook ' || id || ' (' || status || ')' FROM notebooks
       WHERE project_id = $1 AND status IN ('starting', 'running')`,
    [projectId],
  );
  return r.rows.map((x) => x.what);
}
