import fs from 'node:fs/promises';
import path from 'node:path';
import type { Pool } from 'pg';
import type { Client } from '@temporalio/client';
import { homePaths, volumeDir } from '../core/config.js';
import { withTransaction } from '../db/transaction.js';
import { modelsRoot } from './model-blobs.js';
import { releaseCodeRoot } from '../core/release-code.js';
import { ConflictError, NotFoundError, ValidationError } from '../core/errors.js';
import { checkName, PLATFORM_PROJECT } from '../core/names.js';

const DEFAULT_VOLUMES = ['data', 'notebooks'] as const;
/** uid/gid of the non-root `roro` user inside runtime images; volumes must be writable by it. */
export const CONTAINER_UID = 1000;

export interface Project {
  id: string;
  name: string;
  owner: string;
  role: 'owner' | 'member';
  createdAt: string;
}

interface ProjectRow {
  id: string;
  name: string;
  owner: string;
  role: 'owner' | 'member';
  created_at: Date;
}

const toProject = (r: ProjectRow): Project => ({
  id: String(r.id),
  name: r.name,
  owner: r.owner,
  role: r.role,
  createdAt: r.created_at.toISOString(),
});

const SELECT_VISIBLE = `
  SELECT p.id, p.name, o.email AS owner, m.role, p.created_at
  FROM projects p
  JOIN project_members m ON m.project_id = p.id AND m.user_id = $1
  JOIN users o ON o.id = p.owner_id`;

export async function listProjects(db: Pool, userId: string): Promise<Project[]> {
  const res = await db.query<ProjectRow>(`${SELECT_VISIBLE} ORDER BY p.name`, [userId]);
  return res.rows.map(toProject);
}

/** Projects the user may not see answer exactly like projects that do not exist. */
export async function getProject(db: Pool, userId: string, name: string): Promise<Project> {
  const res = await db.query<ProjectRow>(`${SELECT_VISIBLE} WHERE p.name = $2`, [userId, name]);
  const row = res.rows[0];
  if (!row) {
    throw new NotFoundError(
      `Project ${name} not found.`,
      'Run `roro projects` to see the projects you can use.',
    );
  }
  return toProject(row);
}

async function makeVolumeDir(dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true, mode: 0o755 });
  if (process.getuid?.() === 0) await fs.chown(dir, CONTAINER_UID, CONTAINER_UID);
}

export async function createProject(
  db: Pool,
  home: string,
  userId: string,
  rawName: unknown,
): Promise<Project> {
  const name = checkName('project', rawName);
  if (name === PLATFORM_PROJECT)
    throw new ValidationError(`The project name ${name} is reserved for the platform's own routes.`, {
      code: 'reserved_name',
      hint: 'Choose another name.',
    });
  await withTransaction(db, async (client) => {
    const ins = await client.query<{ id: string }>(
      'INSERT INTO projects (name, owner_id) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING RETURNING id',
      [name, userId],
    );
    const row = ins.rows[0];
    if (!row) {
      throw new ConflictError(
        `The project name ${name} is taken: project names are unique across the platform.`,
        'Choose another name, for example by adding your team or a suffix.',
      );
    }
    const projectId = String(row.id);
    await client.query(`INSERT INTO project_members (project_id, user_id, role) VALUES ($1, $2, 'owner')`, [
      projectId,
      userId,
    ]);
    for (const vol of DEFAULT_VOLUMES) {
      await client.query('INSERT INTO volumes (project_id, name) VALUES ($1, $2)', [projectId, vol]);
      await makeVolumeDir(volumeDir(home, projectId, vol));
    }
  });
  return getProject(db, userId, name);
}

/** Only the owner deletes; the project's volumes and models are removed with it. */
export async function deleteProject(db: Pool, home: string, userId: string, name: string): Promise<Project> {
  const project = await getProject(db, userId, name);
  if (project.role !== 'owner') {
    throw new NotFoundError(`Project ${name} not found.`, 'Only the owner can delete a project.');
  }
  await db.query('DELETE FROM projects WHERE id = $1', [project.id]);
  // Volumes, saved models and kept release code go with the project.
  await fs.rm(path.join(homePaths(home).volumes, project.id), { recursive: true, force: true });
  await fs.rm(path.join(modelsRoot(home), project.id), { recursive: true, force: true });
  await fs.rm(releaseCodeRoot(home, project.id), { recursive: true, force: true });
  return project;
}

/** Containers, images, schedules and routes go in a workflow, so a crash cannot leave them behind. */
export async function startProjectRemoval(
  temporal: Client | undefined,
  taskQueue: string,
  project: Pick<Project, 'id' | 'name'>,
): Promise<void> {
  await temporal?.workflow.start('removeProject', {
    taskQueue,
    workflowId: `remove:${project.name}:${project.id}`,
    args: [{ project: project.name, projectId: project.id }],
  });
}

export async function listVolumes(
  db: Pool,
  projectId: string,
): Promise<{ name: string; createdAt: string }[]> {
  const res = await db.query<{ name: string; created_at: Date }>(
    'SELECT name, created_at FROM volumes WHERE project_id = $1 ORDER BY name',
    [projectId],
  );
  return res.rows.map((r) => ({ name: r.name, createdAt: r.created_at.toISOString() }));
}

export async function addMember(db: Pool, project: Project, email: string): Promise<void> {
  const u = await db.query<{ id: string }>('SELECT id FROM users WHERE lower(email) = lower($1)', [email]);
  const user = u.rows[0];
  if (!user)
    throw new NotFoundError(`No user with email ${email}.`, 'An admin adds users with `roro users:add`.');
  await db.query(
    `INSERT INTO project_members (project_id, user_id, role) VALUES ($1, $2, 'member') ON CONFLICT DO NOTHING`,
    [project.id, user.id],
  );
}
