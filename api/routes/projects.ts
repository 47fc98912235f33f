import { Router } from 'express';
import type { AppDeps } from '../app.js';
import { currentUser, requireAuth } from '../auth.js';
import {
  addMember,
  createProject,
  deleteProject,
  startProjectRemoval,
  getProject,
  listProjects,
  listVolumes,
} from '../projects.js';
import { ForbiddenError, ValidationError } from '../../core/errors.js';

export function projectRoutes(deps: AppDeps): Router {
  const r = Router();
  r.use(requireAuth(deps.db));
  r.get('/', async (req, res) => {
    res.json({ projects: await listProjects(deps.db, currentUser(req).id) });
  });
  r.post('/', async (req, res) => {
    const project = await createProject(deps.db, deps.env.home, currentUser(req).id, req.body?.name);
    res.status(201).json({ project });
  });
  r.get('/:name', async (req, res) => {
    res.json({ project: await getProject(deps.db, currentUser(req).id, req.params.name) });
  });
  r.delete('/:name', async (req, res) => {
    const project = await deleteProject(deps.db, deps.env.home, currentUser(req).id, req.params.name);
    await startProjectRemoval(deps.temporal, deps.env.taskQueue, project);
    res.json({ deleted: req.params.name });
  });
  r.get('/:name/volumes', async (req, res) => {
    const project = await getProject(deps.db, currentUser(req).id, req.params.name);
    res.json({ volumes: await listVolumes(deps.db, project.id) });
  });
  r.post('/:name/members', async (req, res) => {
    const project = await getProject(deps.db, currentUser(req).id, req.params.name);
    if (project.role !== 'owner') throw new ForbiddenError('Only the project owner adds members.');
    if (typeof req.body?.email !== 'string') throw new ValidationError('Give the member\'s "email".');
    await addMember(deps.db, project, req.body.email);
    res.status(201).json({ ok: true });
  });
  return r;
}
