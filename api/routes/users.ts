import { Router } from 'express';
import type { AppDeps } from '../app.js';
import { requireAdmin, requireAuth } from '../auth.js';
import { createUser, listUsers } from '../accounts.js';

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
  return r;
}
