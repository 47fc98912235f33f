import { Router, type Request } from 'express';
import type { AppDeps } from '../deps.js';
import { currentUser, requireAuth } from '../auth.js';
import { getProject, type Project } from '../projects.js';

/**
 * A router mounted at /v1/projects/:name whose routes need a signed-in caller (every route, or
 * those under `authAt`), and `project(req)`: the project the path names, or 404 for a non-member.
 */
export function projectRouter(
  deps: AppDeps,
  authAt?: string,
): { r: Router; project: (req: Request) => Promise<Project> } {
  const r = Router({ mergeParams: true });
  if (authAt) r.use(authAt, requireAuth(deps.db));
  else r.use(requireAuth(deps.db));
  const project = (req: Request) => getProject(deps.db, currentUser(req).id, String(req.params.name));
  return { r, project };
}
