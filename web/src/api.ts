/** The platform API as the dashboard reaches it through the gateway: the same /v1 routes as the CLI. */
export const API = '/_roro/api/v1';

/** A refusal from the API: its {error: {code, message, hint}}. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

let csrf = '';
let onSignedOut: () => void = () => undefined;

/** The CSRF value every write sends (from the session answer), and what to do when the session ends. */
export function setSession(value: string, signedOut?: () => void): void {
  csrf = value;
  if (signedOut) onSignedOut = signedOut;
}

async function refusal(res: Response): Promise<ApiError> {
  let body: { error?: { code?: string; message?: string; hint?: string } | string } = {};
  try {
    body = await res.json();
  } catch {
    // not JSON: the status says enough
  }
  const e = typeof body.error === 'object' ? body.error : { message: body.error };
  return new ApiError(
    res.status,
    e?.code ?? 'error',
    e?.message ?? `${res.status} ${res.statusText}`,
    e?.hint,
  );
}

/** One request; a 401 ends the session (the page shows the sign-in form). */
export async function request(
  method: string,
  path: string,
  body?: unknown,
  raw?: BodyInit,
): Promise<Response> {
  const headers: Record<string, string> = {};
  if (method !== 'GET') headers['x-roro-csrf'] = csrf;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${API}${path}`, {
    method,
    headers,
    credentials: 'same-origin',
    body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
  });
  if (!res.ok) {
    const err = await refusal(res);
    if (res.status === 401 && !path.startsWith('/sessions')) onSignedOut();
    throw err;
  }
  return res;
}

export async function get<T>(path: string): Promise<T> {
  return (await request('GET', path)).json() as Promise<T>;
}

export async function send<T>(method: string, path: string, body?: unknown): Promise<T> {
  return (await request(method, path, body)).json() as Promise<T>;
}

/** `/projects/<name>` with the name escaped. */
export function projectPath(project: string, rest = ''): string {
  return `/projects/${encodeURIComponent(project)}${rest}`;
}

/** Reads an NDJSON stream (deploy events) line by line until it ends or `signal` aborts. */
export async function followNdjson<T>(
  path: string,
  onItem: (item: T) => void,
  signal: AbortSignal,
): Promise<void> {
  const res = await fetch(`${API}${path}`, { credentials: 'same-origin', signal });
  if (!res.ok || !res.body) throw await refusal(res);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffered += value;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl).trim();
      buffered = buffered.slice(nl + 1);
      if (line) onItem(JSON.parse(line) as T);
    }
  }
}
