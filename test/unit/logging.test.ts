import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import type { Pool } from 'pg';
import { createApp } from '../../api/app.js';
import type { RequestLine } from '../../api/request-log.js';
import { parsePlatformEnv } from '../../core/config.js';
import { createLogger, REDACTED } from '../../core/logger.js';
import { renderNginxConfig } from '../../gateway/nginx-config.js';
import { prettyLine, prettyLines } from '../../platform/log-pretty.js';

/** A logger writing into memory, and the lines it wrote so far. */
function memoryLogger() {
  const out = new PassThrough();
  let text = '';
  out.on('data', (d: Buffer) => (text += d.toString()));
  return { logger: createLogger('test', out), lines: () => text.trim().split('\n') };
}

test('a log line is one JSON object with time, level, process name and message', () => {
  const { logger, lines } = memoryLogger();
  logger.info({ component: 'api', event: 'up' }, 'api up');
  const [line] = lines().map((l) => JSON.parse(l));
  assert.equal(line.level, 'info');
  assert.equal(line.name, 'test');
  assert.equal(line.msg, 'api up');
  assert.equal(line.component, 'api');
  assert.ok(!Number.isNaN(Date.parse(line.time)), line.time);
});

test('fields that hold secrets are redacted at the top and two levels down', () => {
  const { logger, lines } = memoryLogger();
  logger.info(
    {
      authorization: 'Bearer top-1',
      headers: { authorization: 'Bearer nested-2', cookie: 'sid=cookie-3' },
      password: 'pass-4',
      req: { body: { password: 'deep-5', token: 'deep-6' } },
      env: { MY_SECRET: 'env-7' },
      config: { value: 'value-8' },
      taskToken: 'task-9',
    },
    'careless',
  );
  const text = lines().join('\n');
  for (const secret of [
    'top-1',
    'nested-2',
    'cookie-3',
    'pass-4',
    'deep-5',
    'deep-6',
    'env-7',
    'value-8',
    'task-9',
  ])
    assert.ok(!text.includes(secret), `${secret} reached the log: ${text}`);
  assert.ok(text.includes(REDACTED));
});

test('the API writes one line per request: method, route pattern, status, duration, never the URL', async () => {
  const lines: RequestLine[] = [];
  const app = createApp({
    env: parsePlatformEnv({ RORO_HOME: '/nonexistent' }),
    // Never queried: none of these requests gets past authentication or validation.
    db: { options: {} } as unknown as Pool,
    log: () => {},
    requestLog: (line) => lines.push(line),
  });
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    await (await fetch(`${base}/v1/openapi.json`)).arrayBuffer();
    await (await fetch(`${base}/v1/projects/hidden-project/config?token=query-secret`)).arrayBuffer();
    await (await fetch(`${base}/v1/no/such/route?token=query-secret`)).arrayBuffer();
    const login = await fetch(`${base}/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"email": "a@b.c", "password": ',
    });
    await login.arrayBuffer();
    for (let i = 0; i < 50 && lines.length < 4; i++) await new Promise((r) => setTimeout(r, 20));
  } finally {
    server.close();
  }
  assert.deepEqual(
    lines.map((l) => [l.method, l.route, l.status]),
    [
      ['GET', '/v1/openapi.json', 200],
      ['GET', '/v1/projects/:name/config', 401],
      ['GET', null, 404],
      ['POST', '/v1/auth/login', 400],
    ],
  );
  for (const l of lines) {
    assert.equal(typeof l.durationMs, 'number');
    assert.equal(l.user, undefined);
  }
  const text = JSON.stringify(lines);
  assert.ok(!text.includes('hidden-project') && !text.includes('query-secret'), text);
});

test('roro server logs shows JSON lines readably at a terminal and other lines as they are', () => {
  const request = JSON.stringify({
    level: 'info',
    time: '2026-01-02T03:04:05.000Z',
    name: 'api',
    method: 'GET',
    route: '/v1/projects/:name',
    status: 200,
    durationMs: 4.2,
    user: 'ann@example.com',
    msg: 'request',
  });
  assert.equal(
    prettyLine(request),
    '2026-01-02T03:04:05.000Z INFO  api GET /v1/projects/:name 200 4.2ms ann@example.com',
  );
  const event = JSON.stringify({
    level: 'warn',
    time: '2026-01-02T03:04:05.000Z',
    name: 'supervisor',
    component: 'api',
    event: 'restart',
    restarts: 2,
    msg: 'api exit code 1; restarting',
  });
  assert.equal(
    prettyLine(event),
    '2026-01-02T03:04:05.000Z WARN  supervisor api exit code 1; restarting component=api event=restart restarts=2',
  );
  assert.equal(prettyLine('LOG:  database system is ready'), 'LOG:  database system is ready');
  assert.equal(prettyLine('{not json'), '{not json');

  const out: string[] = [];
  const write = prettyLines((chunk) => out.push(chunk.toString()));
  const bytes = Buffer.from(`plain é\n${request}\n`);
  // Cut inside the two-byte é and inside the JSON line: nothing is written until a line is whole.
  write(bytes.subarray(0, 7));
  write(bytes.subarray(7, 20));
  write(bytes.subarray(20));
  assert.deepEqual(out.join('').split('\n'), ['plain é', prettyLine(request), '']);
});

test("the gateway's access log hides the query string of a request that carries a token", () => {
  const conf = renderNginxConfig({
    domain: 'localhost',
    httpsPort: 7443,
    httpPort: 7480,
    tls: { cert: '/srv/roro/tls/gateway.crt', key: '/srv/roro/tls/gateway.key' },
    runDir: '/srv/roro/gateway',
  });
  assert.match(conf, /log_format roro '[^']*"\$roro_logged_request"/);
  // The map's one regex, run as nginx runs it (PCRE, `~*`: case-insensitive) on request lines.
  const [, pattern, value] = /map \$request \$roro_logged_request \{\s*"~\*(.*)" "(.*)";/.exec(conf)!;
  const logged = (request: string) => {
    const m = new RegExp(pattern!, 'i').exec(request);
    if (!m) return request;
    return value!.replace(/\$(\w+)/g, (_, name: string) => m.groups?.[name] ?? '');
  };
  assert.equal(
    logged('GET /p--nb-1/api/status?token=0a6fee32 HTTP/1.1'),
    'GET /p--nb-1/api/status?[redacted] HTTP/1.1',
  );
  assert.equal(logged('GET /x?a=1&Api_Key=zz&b=2 HTTP/2.0'), 'GET /x?[redacted] HTTP/2.0');
  assert.equal(logged('POST /x?a=1&b=2 HTTP/1.1'), 'POST /x?a=1&b=2 HTTP/1.1');
  assert.equal(logged('GET /x?q=token HTTP/1.1'), 'GET /x?q=token HTTP/1.1');
});
