import type { Pool, PoolClient } from 'pg';
import type { Client } from '@temporalio/client';
import { ConflictError, NotFoundError, ValidationError } from '../core/errors.js';
import { withTransaction } from '../db/transaction.js';
import { deleteProject, startProjectRemoval } from './projects.js';

/** What happens to the projects a removed user owns: nothing (refuse), deleted, or given to another user. */
type OwnedProjects = { mode: 'refuse' } | { mode: 'delete' } | { mode: 'transfer'; to: string };

export interface RemovedUser {
  email: string;
  deletedProjects: string[];
  transferredProjects: string[];
  transferredTo?: string;
  revokedTokens: number;
}

interface Deps {
  db: Pool;
  home: string;
  temporal?: Client;
  taskQueue: string;
}

interface Target {
  id: string;
  email: string;
  is_admin: boolean;
}

async function findUser(db: Pool | PoolClient, email: string, lock = false): Promise<Target | undefined> {
  const res = await db.query<Target>(
    `SELECT id::text, email, is_admin FROM users WHERE lower(email) = lower($1)${lock ? ' FOR UPDATE' : ''}`,
    [email],
  );
  return res.rows[0];
}

async function ownedProjects(db: Pool | PoolClient, userId: string) {
  const res = await db.query<{ id: string; name: string }>(
    'SELECT id::text, name FROM projects WHERE owner_id = $1 ORDER BY name',
    [userId],
  );
  return res.rows;
}

/** Refusals that need no change yet: unknown user, yourself, the last admin, a bad transfer target. */
async function checkRemoval(db: Pool | PoolClient, actorId: string, email: string, projects: OwnedProjects) {
  const target = await findUser(db, email);
  if (!target) throw new NotFoundError(`No user with email ${email}.`, 'Run `roro users` to list users.');
  if (target.id === actorId)
    throw new ConflictError('You cannot remove yourself.', 'Ask another admin to remove your account.');
  if (target.is_admin) {
    const others = await db.query('SELECT 1 FROM users WHERE is_admin AND id <> $1 LIMIT 1', [target.id]);
    if (!others.rowCount)
      throw new ConflictError(`${target.email} is the last admin.`, 'Make another user an admin first.');
  }
  const to = projects.mode === 'transfer' ? await findUser(db, projects.to) : undefined;
  if (projects.mode === 'transfer') {
    if (!to)
      throw new NotFoundError(
        `No user with email ${projects.to} to transfer projects to.`,
        'Run `roro users`.',
      );
    if (to.id === target.id)
      throw new ValidationError('Projects cannot be transferred to the user being removed.', {
        hint: 'Name another user in --projects transfer=EMAIL.',
      });
  }
  return { target, to };
}

/**
 * Removes a user (admin only; never yourself nor the last admin). A user who owns projects is
 * refused unless they are deleted (as `roro projects:delete` does) or transferred to another
 * user, together with their containers' project tokens. The user's own tokens go with the user.
 */
export async function removeUser(deps: Deps, actorId: string, email: string, projects: OwnedProjects) {
  const { target } = await checkRemoval(deps.db, actorId, email, projects);
  const deleted: string[] = [];
  if (projects.mode === 'delete') {
    for (const p of await ownedProjects(deps.db, target.id)) {
      const project = await deleteProject(deps.db, deps.home, target.id, p.name);
      await startProjectRemoval(deps.temporal, deps.taskQueue, project);
      deleted.push(p.name);
    }
  }
  return withTransaction(deps.db, async (client): Promise<RemovedUser> => {
    // Checked again under the row lock: the user may have created a project or been made the only admin since.
    await findUser(client, email, true);
    const { to } = await checkRemoval(client, actorId, email, projects);
    const owned = await ownedProjects(client, target.id);
    if (owned.length && projects.mode !== 'transfer') {
      const names = owned.map((p) => p.name).join(', ');
      throw new ConflictError(
        `${target.email} owns ${owned.length === 1 ? 'project' : 'projects'} ${names}.`,
        'Pass --projects delete to delete them, or --projects transfer=EMAIL to give them to another user.',
        { projects: owned.map((p) => p.name) },
      );
    }
    const ids = owned.map((p) => p.id);
    if (to && ids.length) {
      await client.query('UPDATE projects SET owner_id = $2 WHERE id = ANY($1::bigint[])', [ids, to.id]);
      await client.query(
        'DELETE FROM project_members WHERE project_id = ANY($1::bigint[]) AND user_id = $2',
        [ids, to.id],
      );
      await client.query(
        `UPDATE project_members SET user_id = $2 WHERE project_id = ANY($1::bigint[]) AND user_id = $3`,
        [ids, to.id, target.id],
      );
      // Running containers keep their access: their project tokens now belong to the new owner.
      await client.query(
        'UPDATE api_tokens SET user_id = $2 WHERE project_id = ANY($1::bigint[]) AND user_id = $3',
        [ids, to.id, target.id],
      );
    }
    const tokens = await client.query(
      'UPDATE api_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL',
      [target.id],
    );
    await client.query('DELETE FROM users WHERE id = $1', [target.id]);
    return {
      email: target.email,
      deletedProjects: deleted,
      transferredProjects: to ? owned.map((p) => p.name) : [],
      ...(to ? { transferredTo: to.email } : {}),
      revokedTokens: tokens.rowCount ?? 0,
    };
  });
}

/** The `projects` and `to` query parameters of DELETE /v1/users/:email. */
export function ownedProjectsOption(projects: unknown, to: unknown): OwnedProjects {
  if (projects === undefined || projects === '') return { mode: 'refuse' };
  if (projects === 'delete') return { mode: 'delete' };
  if (projects === 'transfer' && typeof to === 'string' && to !== '') return { mode: 'transfer', to };
  throw new ValidationError(
    'query.projects must be "delete", or "transfer" with query.to naming the new owner.',
    { hint: 'From the CLI: --projects delete, or --projects transfer=EMAIL.' },
  );
}
