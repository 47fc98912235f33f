import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../deps.js';
import { currentUser, login, requireAuth, revokeToken } from '../auth.js';
import { AuthError, RoroError } from '../../core/errors.js';
import type { LoginThrottle } from '../login-throttle.js';
import { route } from '../route.js';
import { Ok, User } from './shapes.js';

const Login = z.object({ email: z.string(), password: z.string() });

/** Checks email and password under the login throttle (shared by the CLI's login and the dashboard's session). */
export async function throttledLogin(
  deps: AppDeps,
  throttle: LoginThrottle,
  req: Request,
  res: Response,
  email: string,
  password: string,
  description = req.get('user-agent') ?? '',
) {
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
  try {
    const result = await login(deps.db, email, password, description);
    throttle.succeeded(email);
    return result;
  } catch (err) {
    if (err instanceof AuthError) throttle.failed(email, address);
    throw err;
  }
}

export function authRoutes(deps: AppDeps, throttle: LoginThrottle): Router {
  const r = Router();
  route(
    r,
    {
      method: 'post',
      path: '/login',
      summary: 'Sign in: a token for the Authorization header',
      access: 'public',
      body: Login,
      responses: {
        200: {
          description: 'The token and the user.',
          schema: z.looseObject({ token: z.string(), user: User }),
        },
      },
    },
    async (req, res, { body: { email, password } }) => {
      res.json(await throttledLogin(deps, throttle, req, res, email, password));
    },
  );
  route(
    r,
    {
      method: 'post',
      path: '/logout',
      summary: 'Revoke the token of this request',
      access: 'user',
      use: [requireAuth(deps.db)],
      responses: { 200: { description: 'Revoked.', schema: Ok } },
    },
    async (req, res) => {
      if (req.tokenId) await revokeToken(deps.db, req.tokenId);
      res.json({ ok: true });
    },
  );
  route(
    r,
    {
      method: 'get',
      path: '/whoami',
      summary: 'The signed-in user',
      access: 'user',
      use: [requireAuth(deps.db)],
      responses: { 200: { description: 'The user.', schema: z.object({ user: User }) } },
    },
    (req, res) => {
      res.json({ user: currentUser(req) });
    },
  );
  return r;
}
