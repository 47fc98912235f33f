/** Small HTTP helpers for the deploy benchmark: one request, and polling until a service answers. */
import http from 'node:http';
import https from 'node:https';

export interface Reply {
  status: number;
  body: string;
}

export interface RequestOptions {
  method?: 'GET' | 'POST';
  json?: unknown;
  /** The gateway's CA certificate, for https URLs. */
  ca?: Buffer;
  timeoutMs?: number;
}

/**
 * One request. The host name is always resolved to 127.0.0.1: the gateway and the floor's
 * container listen on this machine only, whatever domain the platform is configured with.
 */
export function request(url: string, opts: RequestOptions = {}): Promise<Reply> {
  const u = new URL(url);
  const body = opts.json === undefined ? undefined : JSON.stringify(opts.json);
  const mod = u.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(
      {
        method: opts.method ?? (body ? 'POST' : 'GET'),
        hostname: u.hostname,
        port: u.port || (u.protocol === 'https:' ? 443 : 80),
        path: u.pathname + u.search,
        headers: body
          ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }
          : {},
        ca: opts.ca,
        servername: u.hostname,
        agent: false,
        lookup: (_host, options, cb) => {
          if ((options as { all?: boolean }).all)
            (cb as (e: null, a: { address: string; family: number }[]) => void)(null, [
              { address: '127.0.0.1', family: 4 },
            ]);
          else cb(null, '127.0.0.1', 4);
        },
        timeout: opts.timeoutMs ?? 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} in time`)));
    req.on('error', reject);
    req.end(body);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls until `accept` approves a reply; returns the time of that reply (performance.now()).
 * Connection errors and non-accepted replies are retried every `intervalMs`, up to `timeoutMs`.
 */
export async function pollUntil(
  url: string,
  opts: RequestOptions & { accept: (r: Reply) => boolean; intervalMs?: number; deadlineMs?: number },
): Promise<{ at: number; reply: Reply }> {
  const deadline = performance.now() + (opts.deadlineMs ?? 300_000);
  let last = 'no reply';
  for (let i = 0; i < 100_000 && performance.now() < deadline; i++) {
    try {
      const reply = await request(url, { ...opts, timeoutMs: 5_000 });
      if (opts.accept(reply)) return { at: performance.now(), reply };
      last = `HTTP ${reply.status} ${reply.body.slice(0, 200)}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(opts.intervalMs ?? 50);
  }
  throw new Error(
    `${url} did not answer as expected within ${(opts.deadlineMs ?? 300_000) / 1000}s; last: ${last}`,
  );
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}
