import { Router } from 'express';
import type { AppDeps } from '../app.js';
import { currentUser, login, requireAuth, revokeToken } from '../auth.js';
import { AuthError, RoroError, ValidationError } from '../../core/errors.js';
import { LoginThrottle } from '../login-throttle.js';

export function authRoutes(deps: AppDeps): Router {
  const r = Router();
  const throttle = new LoginThrottle();
  r.post('/login', async (req, res) => {
    const { email, password } = req.body ?? {};
    if (typeof email !== 'string' || typeof password !== 'string') {
      throw new ValidationError('Login needs "email" and "password" strings in the JSON body.');
    }
    // Behind the gateway the API sees X-Forwarded-For from loopback (`trust proxy`), set by nginx.
    const address = req.ip ?? '';
    const wait = throttle.waitMs(email, address);
    if (wait > 0) {
      const seconds = Math.ceil(wait / 1000);
      res.set('retry-after', String(seconds));
      throw new RoroError('Too many failed logins for this account or from this address.', {
        status: 429,
        code: 'too_many_attempts',
        hint: `Wait ${seconds} s (Retry-After) and try again with the right password.`,
      });
    }
    const ua = req.get('user-agent') ?? '';
    try {
      res.json(await login(deps.db, email, password, ua));
      throttle.succeeded(email);
    } catch (err) {
      if (err instanceof AuthError) throttle.failed(email, address);
      throw err;
    }
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
