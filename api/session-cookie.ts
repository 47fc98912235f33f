import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';
import { ForbiddenError } from '../core/errors.js';

/**
 * The dashboard's session: the same kind of API token the CLI sends as `Authorization: Bearer`,
 * carried instead in an HttpOnly, Secure, SameSite=Strict cookie that page scripts cannot read.
 * Writes made with the cookie must also send the `roro_csrf` cookie's value in the
 * `X-Roro-CSRF` header (double submit): another site can make a browser send cookies, never set
 * a header to a value it cannot read.
 */
export const SESSION_COOKIE = 'roro_session';
export const CSRF_COOKIE = 'roro_csrf';
export const CSRF_HEADER = 'x-roro-csrf';

/** Cookies go only to the dashboard's own paths on the gateway (its assets and its API), never to a project's `/<label>/`. */
export const COOKIE_PATH = '/_roro/';

/** How long a browser keeps the cookies; the token itself lasts until sign-out or revocation. */
const MAX_AGE_S = 7 * 24 * 3600;

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Cookie values roro writes: base64url tokens, nothing that needs decoding. */
const VALUE_RE = /^[A-Za-z0-9_-]{16,200}$/;

/**
 * The named cookie's value from the request's Cookie header, if it is one roro could have set.
 * A name sent twice is refused: a page of the same site (a project's host) can set a cookie of that
 * name for a longer path, which the browser sends first, to sign the dashboard in as someone else.
 */
export function readCookie(req: Request, name: string): string | undefined {
  const header = req.get('cookie');
  if (!header || header.length > 8192) return undefined;
  const values = header
    .split(';')
    .map((part) => [
      part.slice(0, Math.max(part.indexOf('='), 0)).trim(),
      part.slice(part.indexOf('=') + 1).trim(),
    ])
    .filter(([key]) => key === name)
    .map(([, value]) => value!);
  return values.length === 1 && VALUE_RE.test(values[0]!) ? values[0] : undefined;
}

function cookie(name: string, value: string, httpOnly: boolean, maxAge: number): string {
  return [
    `${name}=${value}`,
    `Path=${COOKIE_PATH}`,
    `Max-Age=${maxAge}`,
    'Secure',
    'SameSite=Strict',
    ...(httpOnly ? ['HttpOnly'] : []),
  ].join('; ');
}

/** Sets both cookies; answers the CSRF value, which the page also reads from its cookie. */
export function setSessionCookies(res: Response, token: string): string {
  const csrf = randomBytes(24).toString('base64url');
  res.append('set-cookie', cookie(SESSION_COOKIE, token, true, MAX_AGE_S));
  res.append('set-cookie', cookie(CSRF_COOKIE, csrf, false, MAX_AGE_S));
  res.set('cache-control', 'no-store');
  return csrf;
}

export function clearSessionCookies(res: Response): void {
  res.append('set-cookie', cookie(SESSION_COOKIE, 'x'.repeat(16), true, 0));
  res.append('set-cookie', cookie(CSRF_COOKIE, 'x'.repeat(16), false, 0));
}

/** A write authenticated by the cookie must carry the CSRF cookie's value in the header. */
export function checkCsrf(req: Request): void {
  if (SAFE_METHODS.has(req.method)) return;
  const expected = readCookie(req, CSRF_COOKIE);
  const sent = req.get(CSRF_HEADER) ?? '';
  const ok =
    expected !== undefined &&
    sent.length === expected.length &&
    timingSafeEqual(Buffer.from(sent), Buffer.from(expected));
  if (!ok) {
    throw new ForbiddenError(
      `A write with the session cookie needs the ${CSRF_HEADER} header set to the ${CSRF_COOKIE} cookie's value.`,
      'Reload the dashboard, or send an Authorization: Bearer token instead of the cookie.',
    );
  }
}
