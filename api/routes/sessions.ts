import { Router } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../app.js';
import { currentUser, requireAuth, revokeToken } from '../auth.js';
import type { LoginThrottle } from '../login-throttle.js';
import { route } from '../route.js';
import { clearSessionCookies, CSRF_COOKIE, readCookie, setSessionCookies } from '../session-cookie.js';
import { throttledLogin } from './auth.js';
import { Ok, User } from './shapes.js';

const Session = z.object({
  user: User,
  csrf: z.string().describe('The value to send in the x-roro-csrf header with every write.'),
  temporalUiUrl: z
    .string()
    .optional()
    .describe("The platform's Temporal Web UI (deploy history), when the platform runs its own Temporal."),
});

/**
 * The dashboard's sign-in: email and password for a session cookie (api/session-cookie.ts) that
 * carries a token of the same kind as `roro login`'s; deleting the session revokes that token.
 */
export function sessionRoutes(deps: AppDeps, throttle: LoginThrottle): Router {
  const r = Router();
  route(
    r,
    {
      method: 'post',
      path: '/',
      summary: 'Sign in for a session cookie (the dashboard)',
      access: 'public',
      body: z.object({ email: z.string().max(320), password: z.string().max(1024) }),
      responses: {
        201: { description: 'Signed in: the roro_session and roro_csrf cookies are set.', schema: Session },
      },
    },
    async (req, res, { body: { email, password } }) => {
      const agent = (req.get('user-agent') ?? '').slice(0, 150);
      const { token, user } = await throttledLogin(
        deps,
        throttle,
        req,
        res,
        email,
        password,
        `dashboard: ${agent}`,
      );
      const csrf = setSessionCookies(res, token);
      res.status(201).json({ user, csrf });
    },
  );
  route(
    r,
    {
      method: 'get',
      path: '/current',
      summary: "The session's user and CSRF value",
      access: 'user',
      use: [requireAuth(deps.db)],
      responses: { 200: { description: 'The session.', schema: Session } },
    },
    (req, res) => {
      res.set('cache-control', 'no-store');
      const e = deps.env;
      res.json({
        user: currentUser(req),
        csrf: readCookie(req, CSRF_COOKIE) ?? '',
        ...(e.temporalExternal ? {} : { temporalUiUrl: `http://127.0.0.1:${e.ports.temporalUi}` }),
      });
    },
  );
  route(
    r,
    {
      method: 'delete',
      path: '/current',
      summary: "Sign out: revoke the session's token and clear its cookies",
      access: 'user',
      use: [requireAuth(deps.db)],
      responses: { 200: { description: 'Signed out.', schema: Ok } },
    },
    async (req, res) => {
      if (req.tokenId) await revokeToken(deps.db, req.tokenId);
      clearSessionCookies(res);
      res.json({ ok: true });
    },
  );
  return r;
}
