import { Router } from 'express';
import type { AppDeps } from '../app.js';
import { currentUser, login, requireAuth, revokeToken } from '../auth.js';
import { ValidationError } from '../../core/errors.js';

export function authRoutes(deps: AppDeps): Router {
  const r = Router();
  r.post('/login', async (req, res) => {
    const { email, password } = req.body ?? {};
    if (typeof email !== 'string' || typeof password !== 'string') {
      throw new ValidationError('Login needs "email" and "password" strings in the JSON body.');
    }
    const ua = req.get('user-agent') ?? '';
    res.json(await login(deps.db, email, password, ua));
  });
  r.post('/logout', requireAuth(deps.db), async (req, res) => {
    if (req.tokenId) await revokeToken(deps.db, req.tokenId);
    res.json({ ok: true });
  });
  r.get('/whoami', requireAuth(deps.db), (req, res) => {
    res.json({ user: currentUser(req) });
  });
  return r;
}
