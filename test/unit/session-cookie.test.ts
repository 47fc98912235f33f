import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Request } from 'express';
import { readCookie, SESSION_COOKIE } from '../../api/session-cookie.js';

const request = (cookie: string | undefined) => ({ get: () => cookie }) as unknown as Request;
const token = 'a'.repeat(40);
const other = 'b'.repeat(40);

test('the session cookie is read when sent once, with a value roro could have set', () => {
  assert.equal(readCookie(request(`theme=dark; ${SESSION_COOKIE}=${token}`), SESSION_COOKIE), token);
  assert.equal(readCookie(request(`${SESSION_COOKIE}=short`), SESSION_COOKIE), undefined);
  assert.equal(readCookie(request(`${SESSION_COOKIE}`), SESSION_COOKIE), undefined);
  assert.equal(readCookie(request(undefined), SESSION_COOKIE), undefined);
});

test('a session cookie sent twice (one tossed by another page of the site) is refused', () => {
  assert.equal(
    readCookie(request(`${SESSION_COOKIE}=${other}; ${SESSION_COOKIE}=${token}`), SESSION_COOKIE),
    undefined,
  );
});
