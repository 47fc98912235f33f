import { Router } from 'express';
import type { AppDeps } from '../app.js';
import { currentUser, requireAdmin, requireAuth } from '../auth.js';
import { createUser, listUsers } from '../accounts.js';
import { ownedProjectsOption, removeUser } from '../remove-user.js';

export function userRoutes(deps: AppDeps): Router {
  const r = Router();
  r.use(requireAuth(deps.db), requireAdmin);
  r.get('/', async (_req, res) => {
    res.json({ users: await listUsers(deps.db) });
  });
  r.post('/', async (req, res) => {
    const { email, password, admin } = req.body ?? {};
    const out = await createUser(deps.db, { email, password, isAdmin: admin === true });
    res.status(201).json(out);
  });
  r.delete('/:email', async (req, res) => {
    const projects = ownedProjectsOption(req.query.projects, req.query.to);
    const removal = {
      db: deps.db,
      home: deps.env.home,
      temporal: deps.temporal,
      taskQueue: deps.env.taskQueue,
    };
    res.json({ removed: await removeUser(removal, currentUser(req).id, String(req.params.email), projects) });
  });
  return r;
}
