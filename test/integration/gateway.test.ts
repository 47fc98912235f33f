import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { promisify } from 'node:util';
import { Gateway } from '../../gateway/gateway.js';
import type { Route } from '../../gateway/nginx-config.js';
import { ensureTls, type TlsFiles } from '../../gateway/tls.js';

const execFileP = promisify(execFile);

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

/** A JSON upstream that reports who answered and what it received, with a raw echo after a WebSocket upgrade. */
async function upstream(
  name: string,
): Promise<{ port: number; server: http.Server; connections: () => number }> {
  let connections = 0;
  const server = http.createServer((req, res) => {
    let size = 0;
    req.on('data', (c: Buffer) => (size += c.length));
    req.on('end', () => {
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ name, url: req.url, size, headers: req.headers }));
    });
  });
  server.keepAliveTimeout = 60_000;
  server.on('connection', () => connections++);
  server.on('upgrade', (req, socket) => {
    socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
    socket.pipe(socket);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as net.AddressInfo).port, server, connections: () => connections };
}

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function collect(res: http.IncomingMessage, resolve: (r: Reply) => void): void {
  let body = '';
  res.setEncoding('utf8');
  res.on('data', (c: string) => (body += c));
  res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
}

/** The gateway's per-client limit here: above the 4 concurrent loops of the route-switch test. */
const PER_CLIENT = 8;

describe('gateway with real nginx and openssl', { timeout: 120_000 }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roro-gateway-'));
  const children: ChildProcess[] = [];
  const servers: http.Server[] = [];
  let tls: TlsFiles;
  let gw: Gateway;
  let ports: { https: number; http: number };
  let a: Awaited<ReturnType<typeof upstream>>;
  let b: Awaited<ReturnType<typeof upstream>>;
  let deadPort: number;

  function routes(defaultPort: number): Route[] {
    return [
      { project: 'proj', service: 'default', upstreams: [`127.0.0.1:${defaultPort}`] },
      { project: 'proj', service: 'web', upstreams: [`127.0.0.1:${b.port}`] },
      { project: 'down', service: 'default', upstreams: [`127.0.0.1:${deadPort}`] },
      { project: 'idle', service: 'default', upstreams: [] },
    ];
  }

  /** HTTPS to 127.0.0.1 with SNI and Host set, since `*.localhost` does not resolve in Node. */
  type GetOptions = {
    agent?: https.Agent;
    ca?: string;
    port?: number;
    method?: string;
    body?: Buffer;
    anyName?: boolean;
  };
  function get(host: string, urlPath: string, opts: GetOptions = {}): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const port = opts.port ?? ports.https;
      const req = https.request(
        {
          host: '127.0.0.1',
          port,
          path: urlPath,
          method: opts.method ?? 'GET',
          servername: host,
          headers: { Host: `${host}:${port}` },
          ca: opts.ca ?? fs.readFileSync(tls.caCert!),
          agent: opts.agent ?? false,
          ...(opts.anyName ? { checkServerIdentity: () => undefined } : {}),
        },
        (res) => collect(res, resolve),
      );
      req.on('error', reject);
      req.end(opts.body);
    });
  }

  async function startNginx(g: Gateway): Promise<void> {
    const { cmd, args } = g.command();
    // stdout is nginx's access log: /dev/null here (a socket pair, the 'pipe' default, cannot be opened)
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    children.push(child);
    for (let i = 0; i < 100 && !(await g.ready()); i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(await g.ready(), 'nginx did not become ready');
  }

  before(async () => {
    [a, b] = await Promise.all([upstream('A'), upstream('B')]).then((u) => {
      servers.push(...u.map((x) => x.server));
      return u;
    });
    deadPort = await freePort();
    ports = { https: await freePort(), http: await freePort() };
    tls = await ensureTls(path.join(dir, 'tls'), 'localhost');
    // Traversable, as RORO_HOME is, so nginx workers running as nobody (under root) reach the spool.
    fs.chmodSync(dir, 0o711);
    gw = new Gateway({
      runDir: path.join(dir, 'run'),
      spoolDir: path.join(dir, 'spool'),
      connectionsPerClient: PER_CLIENT,
      domain: 'localhost',
      httpsPort: ports.https,
      httpPort: ports.http,
      tls,
      tlsDir: path.join(dir, 'tls'),
    });
    await gw.prepare(routes(a.port));
    await startNginx(gw);
  });

  after(async () => {
    for (const child of children) {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
    }
    for (const s of servers) s.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('TLS material is reused, keys are private, and a domain change re-issues the leaf', async () => {
    assert.equal(fs.statSync(tls.key).mode & 0o777, 0o600);
    assert.equal(fs.statSync(path.join(dir, 'tls', 'ca.key')).mode & 0o777, 0o600);
    const before = fs.readFileSync(tls.cert, 'utf8');
    assert.deepEqual(await ensureTls(path.join(dir, 'tls'), 'localhost'), tls);
    assert.equal(fs.readFileSync(tls.cert, 'utf8'), before);
    const sans = await execFileP('openssl', ['x509', '-in', tls.cert, '-noout', '-ext', 'subjectAltName']);
    assert.match(sans.stdout, /DNS:localhost, DNS:\*\.localhost, IP Address:127\.0\.0\.1/);
    // clients refuse *.localhost, so each service host has a certificate of its own, key private
    const hosts = path.join(dir, 'tls', 'hosts');
    assert.deepEqual(fs.readdirSync(hosts).sort(), [
      ...['down', 'idle', 'proj--web', 'proj'].flatMap((h) => [`${h}.localhost.crt`, `${h}.localhost.key`]),
    ]);
    assert.equal(fs.statSync(path.join(hosts, 'proj.localhost.key')).mode & 0o777, 0o600);
    const own = await execFileP('openssl', [
      ...['x509', '-in', path.join(hosts, 'proj.localhost.crt')],
      ...['-noout', '-ext', 'subjectAltName'],
    ]);
    assert.match(own.stdout, /^\s*DNS:proj\.localhost$/m);
    const other = path.join(dir, 'tls-other');
    fs.cpSync(path.join(dir, 'tls'), other, { recursive: true });
    await ensureTls(other, 'roro.example.test');
    const { stdout } = await execFileP('openssl', [
      'x509',
      '-in',
      path.join(other, 'gateway.crt'),
      '-noout',
      '-ext',
      'subjectAltName',
    ]);
    assert.match(stdout, /DNS:roro\.example\.test, DNS:\*\.roro\.example\.test/);
  });

  test('services are reached by host name and by path prefix', async () => {
    const byHost = await get('proj.localhost', '/hello?x=1');
    assert.equal(byHost.status, 200);
    const body = JSON.parse(byHost.body) as { name: string; url: string; headers: Record<string, string> };
    assert.deepEqual([body.name, body.url], ['A', '/hello?x=1']);
    assert.equal(body.headers['x-forwarded-proto'], 'https');
    assert.ok(body.headers['x-request-id']);
    assert.equal(JSON.parse((await get('proj--web.localhost', '/')).body).name, 'B');
    const byPrefix = JSON.parse((await get('localhost', '/proj/hello?x=1')).body) as typeof body;
    assert.deepEqual(
      [byPrefix.name, byPrefix.url, byPrefix.headers['x-forwarded-prefix']],
      ['A', '/hello?x=1', '/proj'],
    );
    assert.equal(JSON.parse((await get('localhost', '/proj--web/p')).body).url, '/p');
    assert.equal(JSON.parse((await get('localhost', '/proj/a%20b/%3F?q=%26')).body).url, '/a%20b/%3F?q=%26');
    const bare = await get('localhost', '/proj');
    assert.deepEqual([bare.status, bare.headers.location], [308, '/proj/']);
  });

  test('unknown host, unknown prefix and a dead service answer JSON errors', async () => {
    for (const [host, p, status] of [
      ['nope.localhost', '/x', 404],
      ['localhost', '/nope/x', 404],
      ['down.localhost', '/', 502],
      ['idle.localhost', '/', 503],
      ['localhost', '/idle/x', 503],
    ] as const) {
      // An unknown host is not in the certificate (no wildcard under localhost), so only the CA is checked.
      const r = await get(host, p, { anyName: host === 'nope.localhost' });
      assert.equal(r.status, status, `${host}${p}`);
      assert.equal(r.headers['content-type'], 'application/json');
      const err = (JSON.parse(r.body) as { error: string }).error;
      assert.match(
        err,
        status === 404
          ? new RegExp(`^no service at ${host}${p}: .*roro ps`)
          : status === 503
            ? /^default of project idle has no running instance: start it with `roro start default`/
            : /not answering/,
      );
    }
  });

  test('a 64 MB upload is spooled whole, then passed through; the spool is left empty', async () => {
    const r = await get('proj.localhost', '/upload', { method: 'POST', body: Buffer.alloc(64 << 20, 1) });
    assert.equal(r.status, 200, r.body);
    assert.equal(JSON.parse(r.body).size, 64 << 20);
    assert.deepEqual(fs.readdirSync(path.join(dir, 'spool', 'client_body')), []);
    const tooBig = await get('proj.localhost', '/upload', {
      method: 'POST',
      body: Buffer.alloc((64 << 20) + 1, 1),
    }).catch(() => ({ status: 413, body: '{"error": "the gateway closed the connection"}' }));
    assert.equal(tooBig.status, 413);
  });

  test('a client gets 429 beyond its concurrent requests, and is served again once they end', async () => {
    const held: TLSSocket[] = [];
    try {
      for (let i = 0; i < PER_CLIENT; i++) {
        const s = tlsConnect({
          host: '127.0.0.1',
          port: ports.https,
          servername: 'proj.localhost',
          ca: fs.readFileSync(tls.caCert!),
        });
        s.on('error', () => undefined);
        await new Promise<void>((r) => s.once('secureConnect', () => r()));
        await new Promise<void>((r) =>
          s.write('POST /slow HTTP/1.1\r\nHost: proj.localhost\r\nContent-Length: 1000\r\n\r\n{', () => r()),
        );
        held.push(s);
      }
      let r: Reply | undefined;
      // the gateway counts a request once its headers are read: bounded wait for the last of them
      for (let i = 0; i < 50 && r?.status !== 429; i++) r = await get('proj.localhost', '/');
      assert.equal(r?.status, 429);
      assert.match(JSON.parse(r!.body).error, /^too many requests in progress from your address/);
    } finally {
      for (const s of held) s.destroy();
    }
    let r: Reply | undefined;
    for (let i = 0; i < 50 && r?.status !== 200; i++) {
      r = await get('proj.localhost', '/');
      if (r.status !== 200) await new Promise((res) => setTimeout(res, 100));
    }
    assert.equal(r?.status, 200);
  });

  test('plain HTTP redirects to HTTPS with the same host and path', async () => {
    const r = await new Promise<Reply>((resolve, reject) => {
      http
        .get(
          {
            host: '127.0.0.1',
            port: ports.http,
            path: '/a/b?c=d',
            headers: { Host: `proj.localhost:${ports.http}` },
            agent: false,
          },
          (res) => collect(res, resolve),
        )
        .on('error', reject);
    });
    assert.equal(r.status, 308);
    assert.equal(r.headers.location, `https://proj.localhost:${ports.https}/a/b?c=d`);
    assert.equal(r.headers['content-type'], 'application/json');
  });

  test('a WebSocket upgrade passes through and bytes echo', async () => {
    const echoed = await new Promise<string>((resolve, reject) => {
      const req = https.request({
        host: '127.0.0.1',
        port: ports.https,
        path: '/ws',
        servername: 'proj.localhost',
        ca: fs.readFileSync(tls.caCert!),
        agent: false,
        headers: {
          Host: 'proj.localhost',
          Connection: 'Upgrade',
          Upgrade: 'websocket',
          'Sec-WebSocket-Version': '13',
          'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
        },
      });
      req.on('upgrade', (res, socket) => {
        assert.equal(res.statusCode, 101);
        socket.once('data', (d: Buffer) => {
          socket.destroy();
          resolve(d.toString());
        });
        socket.write('ping');
      });
      req.on('response', (res) => reject(new Error(`expected 101, got ${res.statusCode}`)));
      req.on('error', reject);
      req.end();
    });
    assert.equal(echoed, 'ping');
  });

  /** Pids of the nginx master and its workers: a reload replaces the workers. */
  async function nginxPids(g: Gateway): Promise<number[]> {
    const master = g.masterPid();
    assert.ok(master, 'nginx master is running');
    const { stdout } = await execFileP('ps', ['-o', 'pid=', '--ppid', String(master)]);
    return [
      master,
      ...stdout
        .split('\n')
        .filter((l) => l.trim())
        .map(Number)
        .sort(),
    ];
  }

  test('switching a route under continuous keep-alive requests neither fails one nor reloads nginx', async () => {
    const agent = new https.Agent({ keepAlive: true, maxSockets: 4 });
    const pids = await nginxPids(gw);
    const connectionsBefore = a.connections() + b.connections();
    const seen: string[] = [];
    const errors: string[] = [];
    let done = false;
    const results: { changed: boolean; reloaded: boolean }[] = [];
    const switching = (async () => {
      try {
        for (const port of [b.port, a.port, b.port]) {
          await new Promise((r) => setTimeout(r, 300));
          results.push(await gw.applyRoutes(routes(port)));
        }
        await new Promise((r) => setTimeout(r, 300));
      } finally {
        done = true;
      }
    })();
    // Four keep-alive connections, requests back to back: a reused socket that is reset counts as a failure.
    const loop = async () => {
      for (let i = 0; i < 20_000 && !done; i++) {
        try {
          const r = await get('proj.localhost', `/n/${i}`, { agent });
          if (r.status === 200) seen.push((JSON.parse(r.body) as { name: string }).name);
          else errors.push(`${r.status} ${r.body}`);
        } catch (err) {
          errors.push((err as Error).message);
        }
      }
    };
    await Promise.all([loop(), loop(), loop(), loop(), switching]);
    agent.destroy();
    assert.deepEqual(errors, []);
    assert.deepEqual(
      results.map((r) => [r.changed, r.reloaded]),
      [
        [true, false],
        [true, false],
        [true, false],
      ],
    );
    assert.ok(seen.length > 100, `${seen.length} requests`);
    // nginx keeps its connections to the instances open rather than connecting per request
    const opened = a.connections() + b.connections() - connectionsBefore;
    assert.ok(opened < seen.length / 10, `${opened} upstream connections for ${seen.length} requests`);
    assert.equal(seen[0], 'A');
    assert.equal(seen.at(-1), 'B');
    assert.deepEqual(await nginxPids(gw), pids, 'nginx was not reloaded');
    const same = await gw.applyRoutes(routes(b.port));
    assert.deepEqual([same.changed, same.reloaded], [false, false]);
  });

  test('a route table with bad entries is refused before it reaches nginx; nginx skips malformed lines', async () => {
    for (const bad of ['no-such-host.invalid:80', '127.0.0.1:80 backup', '300.0.0.1:80']) {
      const table = [...routes(b.port), { project: 'proj', service: 'default', upstreams: [bad] }];
      await assert.rejects(gw.applyRoutes(table), /is not <ipv4>:<port>/);
    }
    assert.equal(JSON.parse((await get('proj.localhost', '/')).body).name, 'B');
    assert.equal(fs.statSync(path.join(dir, 'run')).mode & 0o777, 0o700);
    const put = (body: string) =>
      new Promise<Reply>((resolve, reject) => {
        const req = http.request({ socketPath: gw.adminSocket, path: '/routes', method: 'PUT' }, (res) =>
          collect(res, resolve),
        );
        req.on('error', reject);
        req.end(body);
      });
    assert.equal((await put('proj 127.0.0.1:1\n')).status, 400);
    assert.equal(JSON.parse((await get('proj.localhost', '/')).body).name, 'B');
    const manual = [
      'roro-routes v1',
      'generation manual-1',
      `proj 127.0.0.1:${a.port}`,
      'Bad;Label 127.0.0.1:1',
      `proj--web 999.0.0.1:80 127.0.0.1:99999 127.0.0.1:${a.port}`,
      '',
    ].join('\n');
    assert.equal((await put(manual)).status, 200);
    assert.equal(JSON.parse((await get('proj--web.localhost', '/')).body).name, 'A');
    assert.equal((await get('down.localhost', '/', { anyName: true })).status, 404);
    // the table file still holds the routes applyRoutes wrote: applying them again restores them
    const restored = await gw.applyRoutes(routes(b.port));
    assert.deepEqual([restored.changed, restored.reloaded], [true, false]);
    assert.equal(JSON.parse((await get('proj.localhost', '/')).body).name, 'B');
  });

  test('a new service host on localhost gets its certificate without a reload, and loses it when gone', async () => {
    const pids = await nginxPids(gw);
    const more = [
      ...routes(b.port),
      { project: 'proj', service: 'extra', upstreams: [`127.0.0.1:${a.port}`] },
    ];
    const first = await gw.applyRoutes(more);
    assert.deepEqual([first.changed, first.reloaded], [true, false]);
    // get() checks the certificate against the roro CA and the host name
    assert.equal(JSON.parse((await get('proj--extra.localhost', '/')).body).name, 'A');
    const again = await gw.applyRoutes(more);
    assert.deepEqual([again.changed, again.reloaded], [false, false]);
    const crt = path.join(dir, 'tls', 'hosts', 'proj--extra.localhost.crt');
    assert.ok(fs.existsSync(crt));
    await gw.applyRoutes(routes(b.port));
    assert.ok(!fs.existsSync(crt), 'a host no longer served keeps no certificate');
    await assert.rejects(get('proj--extra.localhost', '/'), /altnames|Hostname\/IP does not match/);
    assert.deepEqual(await nginxPids(gw), pids, 'nginx was not reloaded');
  });

  test('a user-supplied certificate is validated and served', async () => {
    const user = path.join(dir, 'user');
    fs.mkdirSync(user);
    const [cert, key] = [path.join(user, 'c.pem'), path.join(user, 'k.pem')];
    await execFileP('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '2',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,DNS:proj.localhost',
    ]);
    await assert.rejects(
      ensureTls(user, 'localhost', { certFile: cert, keyFile: tls.key }),
      /does not match/,
    );
    const own = await ensureTls(user, 'localhost', { certFile: cert, keyFile: key });
    assert.deepEqual([own.userSupplied, own.caCert], [true, null]);
    const p = { https: await freePort(), http: await freePort() };
    const g2 = new Gateway({
      runDir: path.join(dir, 'run2'),
      domain: 'localhost',
      httpsPort: p.https,
      httpPort: p.http,
      tls: own,
    });
    await g2.prepare(routes(a.port));
    await startNginx(g2);
    const r = await get('proj.localhost', '/', { port: p.https, ca: fs.readFileSync(cert, 'utf8') });
    assert.equal(JSON.parse(r.body).name, 'A');
  });
});
