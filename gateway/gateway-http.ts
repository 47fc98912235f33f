import http from 'node:http';
import net from 'node:net';

/** What the running nginx reports on `/.roro/generation`: its route table and its config. */
export interface Served {
  generation: string;
  /** Absent while nginx still runs a config from before the route table moved into Lua. */
  config?: string;
}

interface Reply {
  status: number;
  body: string;
}

function request(opts: http.RequestOptions, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ agent: false, timeout: 5000, ...opts }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += text.length < 10_000 ? c : ''));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${opts.timeout ?? 5000} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** The generations the running nginx serves, or undefined when it does not answer. */
export async function servedGeneration(httpPort: number): Promise<Served | undefined> {
  try {
    const res = await request({
      host: '127.0.0.1',
      port: httpPort,
      path: '/.roro/generation',
      timeout: 1000,
    });
    const parsed = JSON.parse(res.body) as Partial<Served>;
    return typeof parsed.generation === 'string'
      ? {
          generation: parsed.generation,
          ...(typeof parsed.config === 'string' ? { config: parsed.config } : {}),
        }
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Sends the whole route table (`/routes`) or host certificate bundle (`/certs`) to nginx's admin
 * socket; resolves to nginx's error text when it refuses.
 */
export async function putAdmin(
  socketPath: string,
  what: '/routes' | '/certs',
  body: string,
): Promise<string | undefined> {
  const res = await request(
    {
      socketPath,
      path: what,
      method: 'PUT',
      headers: { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) },
    },
    body,
  );
  return res.status === 200 ? undefined : `${res.status} ${res.body.trim()}`;
}

export function tcpAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ port, host: '127.0.0.1' });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(1000, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}
