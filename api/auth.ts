import type { NextFunction, Request, Response } from 'express';
import type { Pool } from 'pg';
import { AuthError, ForbiddenError } from '../core/errors.js';
import { toUser, type User } from './accounts.js';
import { hashToken, newToken, verifyPassword } from '../domain/passwords.js';
import { checkScopedPath, checkTokenContainer } from './scoped-tokens.js';
import { checkCsrf, readCookie, SESSION_COOKIE } from './session-cookie.js';

declare module 'express-serve-static-core' {
  interface Request {
    user?: User;
    tokenId?: string;
    /** Set for a container's project-scoped token (domain/platform-access.ts). */
    tokenProjectId?: string;
  }
}

const AUTH_RE = /^(?:Bearer|Token)\s+(\S+)$/i;

/**
 * The request's token: the Authorization header (the CLI, scripts) or else the dashboard's session
 * cookie, whose writes must pass the CSRF check.
 */
function requestToken(req: Request): string {
  const header = req.get('authorization');
  if (!header) {
    const session = readCookie(req, SESSION_COOKIE);
    if (!session) throw new AuthError('Missing API token: send `Authorization: Bearer <token>`.');
    checkCsrf(req);
    return session;
  }
  const m = AUTH_RE.exec(header);
  if (!m?.[1]) throw new AuthError('Malformed Authorization header: expected `Bearer <token>`.');
  return m[1];
}

/** Rejects requests without a valid, unrevoked token with 401 JSON. */
export function requireAuth(db: Pool) {
  return async (req: Request, _res: Response, next: NextFunction) => {
    // Several routers share /v1/projects/:name: the first one checks, the others reuse its answer.
    if (req.user) return next();
    const token = requestToken(req);
    const res = await db.query(
      `UPDATE api_tokens t SET last_used_at = now()
       FROM users u
       WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.id = t.user_id
       RETURNING t.id AS token_id, t.project_id AS scope_id, t.container_id, t.container_label,
         (SELECT name FROM projects WHERE id = t.project_id) AS scope_name,
         u.id, u.email, u.is_admin, u.created_at`,
      [hashToken(token)],
    );
    const row = res.rows[0];
    if (!row) throw new AuthError('Invalid or revoked API token.');
    req.user = toUser(row);
    req.tokenId = String(row.token_id);
    if (row.scope_id !== null) {
      checkScopedPath(req.originalUrl, String(row.scope_name));
      await checkTokenContainer(db, {
        id: req.tokenId,
        containerId: row.container_id,
        containerLabel: row.container_label,
      });
      req.tokenProjectId = String(row.scope_id);
      // A container acts for its project only: never with the owner's admin rights.
      req.user = { ...req.user, isAdmin: false };
    }
    next();
  };
}

export function requireAdmin(req: Request, _res: Response, next: NextFunction) {
  if (!req.user?.isAdmin)
    throw new ForbiddenError('Only an admin can do this.', 'Ask an admin of this server.');
  next();
}

export function currentUser(req: Request): User {
  if (!req.user) throw new AuthError('Not signed in.');
  return req.user;
}

/** Checks email and password and issues a new token; both failures look the same to the caller. */
export async function login(db: Pool, email: string, password: string, description: string) {
  const res = await db.query(
    'SELECT id, email, is_admin, created_at, password_hash FROM users WHERE lower(email) = lower($1)',
    [email],
  );
  const row = res.rows[0];
  // Hash even for unknown emails so response time does not reveal which emails exist.
  const ok = await verifyPassword(
    password,
    row?.password_hash ?? 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAA',
  );
  if (!row || !ok) throw new AuthError('Wrong email or password.', 'Check both and try `roro login` again.');
  const token = newToken();
  await db.query('INSERT INTO api_tokens (user_id, token_hash, description) VALUES ($1, $2, $3)', [
    row.id,
    hashToken(token),
    description.slice(0, 200),
  ]);
  return { token, user: toUser(row) };
}

export async function revokeToken(db: Pool, tokenId: string): Promise<void> {
  await db.query('UPDATE api_tokens SET revoked_at = now() WHERE id = $1', [tokenId]);
}
