import { parsePlatformEnv } from '../core/config.js';
import { AuthError, ConfigError, RoroError } from '../core/errors.js';
import { getCredential, savedServerUrl } from './credentials.js';
import { ApiError, parseRetryAfter } from './api-error.js';

/** --url, then RORO_URL, then the saved server, then the local embedded platform. */
export function serverUrl(flag?: string): string {
  const raw = flag || process.env.RORO_URL || savedServerUrl() || parsePlatformEnv().apiUrl;
  try {
    const u = new URL(raw);
    return u.origin + u.pathname.replace(/\/+$/, '');
  } catch {
    throw new ConfigError(
      `Server URL ${JSON.stringify(raw)} is not a URL.`,
      'Set RORO_URL to e.g. http://127.0.0.1:7400.',
    );
  }
}

export interface RequestOptions {
  method?: string;
  body?: unknown;
  auth?: boolean;
  raw?: boolean;
  headers?: Record<string, string>;
  bodyStream?: NodeJS.ReadableStream | ReadableStream;
}

export class ApiClient {
  constructor(
    readonly url: string,
    private readonly token?: string,
  ) {}

  static forCli(flagUrl?: string): ApiClient {
    const url = serverUrl(flagUrl);
    const token = process.env.RORO_TOKEN || getCredential(url)?.token;
    return new ApiClient(url, token);
  }

  async request<T = unknown>(path: string, opts: RequestOptions = {}): Promise<T> {
    const res = await this.fetch(path, opts);
    return (await res.json()) as T;
  }

  async fetch(path: string, opts: RequestOptions = {}): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
    if (opts.auth !== false) {
      if (!this.token)
        throw new AuthError(`You are not logged in to ${this.url}.`, 'Run `roro login` first.');
      headers.authorization = `Bearer ${this.token}`;
    }
    let body: RequestInit['body'];
    if (opts.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(opts.body);
    } else if (opts.bodyStream) {
      body = opts.bodyStream as unknown as RequestInit['body'];
    }
    let res: Response;
    try {
      res = await fetch(`${this.url}${path}`, {
        method: opts.method ?? (body ? 'POST' : 'GET'),
        headers,
        body,
        ...(opts.bodyStream ? { duplex: 'half' } : {}),
      } as RequestInit);
    } catch (err) {
      throw new RoroError(`Cannot reach the roro API at ${this.url}.`, {
        code: 'unreachable',
        hint: 'Start the platform with `roro server up`, or point RORO_URL at a running server.',
        cause: err,
      });
    }
    if (!res.ok) await throwApiError(res);
    return res;
  }
}

async function throwApiError(res: Response): Promise<never> {
  let payload: { error?: { code?: string; message?: string; hint?: string; details?: unknown } } = {};
  try {
    payload = (await res.json()) as typeof payload;
  } catch {
    /* not JSON: fall through to the status text */
  }
  const e = payload.error ?? {};
  const message = e.message ?? `The server answered ${res.status} ${res.statusText}.`;
  if (res.status === 401) throw new AuthError(message, e.hint ?? 'Run `roro login` to sign in again.');
  throw new ApiError(message, {
    status: res.status,
    code: e.code ?? 'api',
    hint: e.hint,
    details: e.details,
    retryAfterMs: parseRetryAfter(res.headers.get('retry-after')),
  });
}
