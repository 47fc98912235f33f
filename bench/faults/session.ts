/**
 * The fault matrix's way into the running platform, from RORO_HOME alone: the database password
 * kept in RORO_HOME/secrets gives a throw-away user and its API token, so no login, admin password
 * or RORO_TOKEN is needed. Every call retries while a component is down, since faults are the point.
 */
import crypto from 'node:crypto';
import type { Client } from '@temporalio/client';
import type pg from 'pg';
import { createUser } from '../../api/accounts.js';
import { hashToken, newToken } from '../../domain/passwords.js';
import type { PlatformEnv } from '../../core/config.js';
import { createPool } from '../../db/pool.js';
import { connectTemporal } from '../../temporal/connection.js';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Retries `fn` until it succeeds or `timeoutMs` passes; the last error says what kept failing. */
export async function retrying<T>(what: string, fn: () => Promise<T>, timeoutMs = 180_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (let i = 0; Date.now() < deadline; i++) {
    try {
      return await fn();
    } catch (err) {
      last = err;
      await sleep(Math.min(2000, 100 * 2 ** Math.min(i, 5)));
    }
  }
  throw new Error(`${what} kept failing for ${timeoutMs / 1000} s: ${(last as Error)?.message ?? last}`);
}

export interface ApiReply {
  status: number;
  body: unknown;
}

export class Session {
  private constructor(
    readonly env: PlatformEnv,
    readonly db: pg.Pool,
    readonly temporal: Client,
    private readonly closeTemporal: () => Promise<void>,
    readonly userId: string,
    readonly token: string,
  ) {}

  /** A fresh user and token, made in the platform's database. */
  static async open(env: PlatformEnv): Promise<Session> {
    const db = createPool(env, 4);
    // Killing PostgreSQL is one of the faults: a dropped idle connection is expected, not news.
    db.removeAllListeners('error').on('error', () => undefined);
    const email = `faults-${crypto.randomBytes(4).toString('hex')}@roro.test`;
    const { user } = await createUser(db, { email, password: crypto.randomBytes(18).toString('base64url') });
    const token = newToken();
    await db.query('INSERT INTO api_tokens (user_id, token_hash, description) VALUES ($1, $2, $3)', [
      user.id,
      hashToken(token),
      'bench/faults',
    ]);
    const { connection, client } = await connectTemporal(env);
    return new Session(env, db, client, () => connection.close(), user.id, token);
  }

  /** One API call; connection errors and 5xx are retried (the API or its database may be down). */
  async api(method: string, urlPath: string, body?: unknown, raw?: { type: string; data: Buffer }) {
    return retrying(`${method} ${urlPath}`, async () => {
      const headers: Record<string, string> = { authorization: `Bearer ${this.token}` };
      if (raw) headers['content-type'] = raw.type;
      else if (body !== undefined) headers['content-type'] = 'application/json';
      const res = await fetch(`${this.env.apiUrl}${urlPath}`, {
        method,
        headers,
        body: raw ? new Uint8Array(raw.data) : body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
      const text = await res.text();
      if (res.status >= 500) throw new Error(`HTTP ${res.status} ${text.slice(0, 200)}`);
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        /* keep text */
      }
      return { status: res.status, body: parsed } satisfies ApiReply;
    });
  }

  /** The same, for a call that must succeed with `want`; T is the body the route documents. */
  async apiOk<T = unknown>(
    method: string,
    urlPath: string,
    want: number,
    body?: unknown,
    raw?: { type: string; data: Buffer },
  ) {
    const r = await this.api(method, urlPath, body, raw);
    if (r.status !== want)
      throw new Error(
        `${method} ${urlPath} answered ${r.status}, not ${want}: ${JSON.stringify(r.body).slice(0, 300)}`,
      );
    return r.body as T;
  }

  /** A query that retries while PostgreSQL restarts. */
  query<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<pg.QueryResult<R>> {
    return retrying('a database query', () => this.db.query<R>(sql, params));
  }

  /** Removes the user (its projects must be gone) and closes the connections. */
  async close(): Promise<void> {
    await this.db.query('DELETE FROM users WHERE id = $1', [this.userId]).catch(() => undefined);
    await this.db.end();
    await this.closeTemporal();
  }
}
