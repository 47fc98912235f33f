import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_CONNECTIONS_PER_CLIENT,
  renderNginxConfig,
  renderRouteTable,
  prepareRoutes,
  quotePath,
  type NginxConfigInput,
  type Route,
} from '../../gateway/nginx-config.js';
import { luaInit } from '../../gateway/nginx-lua.js';
import { ValidationError } from '../../core/errors.js';
import { parsePlatformEnv } from '../../core/config.js';
import { gatewayApiOption } from '../../gateway/platform-gateway.js';

function input(extra: Partial<NginxConfigInput> = {}): NginxConfigInput {
  return {
    domain: 'localhost',
    httpsPort: 7443,
    httpPort: 7480,
    tls: { cert: '/srv/roro/tls/gateway.crt', key: '/srv/roro/tls/gateway.key' },
    runDir: '/srv/roro/gateway',
    ...extra,
  };
}

const routes: Route[] = [
  { project: 'credit-risk', service: 'default', upstreams: ['127.0.0.1:9001'] },
  { project: 'credit-risk', service: 'web', upstreams: ['127.0.0.1:9002', '127.0.0.1:9003'] },
  { project: 'idle', service: 'default', upstreams: [] },
];

/** The text of the one server block that contains `needle`. */
function serverBlock(conf: string, needle: string): string {
  const blocks = conf.split(/\n {2}server \{\n/).slice(1);
  const block = blocks.find((b) => b.includes(needle));
  assert.ok(block, `no server block contains ${needle}`);
  return block;
}

test('the route table lists each label with its instances, default service under the project name', () => {
  assert.equal(
    renderRouteTable(routes, 'g1'),
    [
      'roro-routes v1',
      'generation g1',
      'credit-risk 127.0.0.1:9001',
      'credit-risk--web 127.0.0.1:9002 127.0.0.1:9003',
      'idle',
      '',
    ].join('\n'),
  );
});

test('routes are not part of the nginx config, so a route change never rewrites or reloads it', () => {
  const conf = renderNginxConfig(input());
  assert.doesNotMatch(conf, /credit-risk|900\d/);
  assert.match(conf, /init_by_lua_block \{[^]*local TABLE_FILE = "\/srv\/roro\/gateway\/routes\.table"/);
  assert.match(conf, /lua_shared_dict roro_routes \d+m;/);
  assert.match(conf, /^load_module \/usr\/lib\/nginx\/modules\/ndk_http_module\.so;$/m);
  assert.match(conf, /^load_module \/usr\/lib\/nginx\/modules\/ngx_http_lua_module\.so;$/m);
});

test('service hosts are routed by the label in <label>.<domain> through the Lua balancer', () => {
  const conf = renderNginxConfig(input({ domain: 'roro.example.com' }));
  const host = serverBlock(conf, 'roro_host');
  assert.match(host, /server_name ~\^\(\?<roro_host>\[a-z0-9-\]\+\)\\\.roro\\\.example\\\.com\$;/);
  assert.match(
    host,
    /location \/ \{ rewrite_by_lua_block \{ roro\.route\(ngx\.var\.roro_host\) \} proxy_pass http:\/\/roro_services; /,
  );
  // keepalive after balancer_by_lua, which would otherwise replace the keepalive balancer
  assert.match(
    conf,
    /upstream roro_services \{\n[^}]*balancer_by_lua_block \{ roro\.balance\(\) \}\n\s+keepalive \d+;/,
  );
});

test('bare host routes by path prefix in Lua; the platform API wins /api/ only when configured', () => {
  const bare = serverBlock(renderNginxConfig(input()), 'server_name localhost 127.0.0.1;');
  assert.match(
    bare,
    /location \/ \{ rewrite_by_lua_block \{ roro\.route_prefix\(\) \} proxy_pass http:\/\/roro_services; /,
  );
  assert.doesNotMatch(bare, /roro-platform-api/);
  const conf = renderNginxConfig(input({ apiUpstream: '127.0.0.1:7400' }));
  const withApi = serverBlock(conf, 'server_name localhost');
  assert.match(
    withApi,
    /location \^~ \/api\/ \{ set \$roro_prefix \/api; proxy_pass http:\/\/roro-platform-api\/; \}/,
  );
  assert.match(withApi, /location = \/api \{ return 308 \/api\/\$is_args\$args; \}/);
  assert.match(conf, /upstream roro-platform-api \{\n\s+server 127\.0\.0\.1:7400 /);
});

test('the platform gateway serves the API under /api/ only with RORO_GATEWAY_API=1', () => {
  const bare = (env: NodeJS.ProcessEnv) =>
    serverBlock(
      renderNginxConfig(input(gatewayApiOption(parsePlatformEnv({ RORO_HOME: '/srv/roro', ...env })))),
      'server_name localhost',
    );
  for (const off of [{}, { RORO_GATEWAY_API: '' }, { RORO_GATEWAY_API: '0' }, { RORO_GATEWAY_API: 'false' }])
    assert.doesNotMatch(bare(off), /\/api|roro-platform-api/, JSON.stringify(off));
  for (const on of [{ RORO_GATEWAY_API: '1' }, { RORO_GATEWAY_API: 'true' }])
    assert.match(
      bare(on),
      /location \^~ \/api\/ \{ set \$roro_prefix \/api; proxy_pass http:\/\/roro-platform-api\/; \}/,
    );
  assert.throws(
    () => parsePlatformEnv({ RORO_GATEWAY_API: 'yes please' }),
    /RORO_GATEWAY_API=yes please .* 1 or 0/,
  );
});

test('unknown host, unknown prefix and a route without instances answer JSON naming the fix', () => {
  const conf = renderNginxConfig(input());
  assert.match(conf, /types \{ \}\n\s+default_type application\/json;/);
  const notFound = /return 404 '\{"error": "no service at \$roro_where: [^']*roro ps[^']*"\}\\n';/;
  assert.match(serverBlock(conf, 'ssl default_server;'), notFound);
  for (const name of ['roro_host', 'server_name localhost']) {
    const block = serverBlock(conf, name);
    assert.match(block, new RegExp(`location @roro_unknown \\{ ${notFound.source} \\}`));
    assert.match(
      block,
      /location @roro_idle \{ return 503 '\{"error": "\$roro_service of project \$roro_project has no running instance: start it with `roro start \$roro_service`/,
    );
    assert.match(block, /error_page 502 @roro_502;/);
    assert.match(block, /location @roro_502 \{ return 502 '\{"error": "[^']*"\}\\n'; \}/);
  }
});

test('plain HTTP port redirects to HTTPS and reports the served generations from Lua', () => {
  const redirect = serverBlock(renderNginxConfig(input({ generation: 'abc123' })), 'access_log off;');
  assert.match(redirect, /listen 127\.0\.0\.1:7480 default_server;/);
  assert.match(redirect, /return 308 https:\/\/\$host:7443\$request_uri;/);
  assert.match(
    redirect,
    /location = \/\.roro\/generation \{ content_by_lua_block \{ roro\.generation\(\) \} \}/,
  );
  assert.match(renderNginxConfig(input({ generation: 'abc123' })), /local CONFIG = "abc123"/);
  assert.match(redirect, /error_page 301 302 307 308 @roro_redirect;/);
  assert.match(renderNginxConfig(input({ httpsPort: 443 })), /return 308 https:\/\/\$host\$request_uri;/);
});

test('route updates come only through a unix socket in the private runDir', () => {
  const conf = renderNginxConfig(input());
  const admin = serverBlock(conf, 'admin.sock');
  assert.match(admin, /listen "unix:\/srv\/roro\/gateway\/admin\.sock";/);
  assert.match(admin, /location = \/routes \{ content_by_lua_block \{ roro\.admin\(\) \} \}/);
  assert.equal(conf.match(/content_by_lua_block \{ roro\.admin\(\) \}/g)?.length, 1);
  assert.doesNotMatch(conf, /listen (?!127\.0\.0\.1:|"unix:\/srv\/roro\/gateway\/)/);
});

test('nginx runs in the foreground with pid, logs and temp paths in the platform directories', () => {
  const conf = renderNginxConfig(input({ workers: 'auto' }));
  assert.match(conf, /^daemon off;$/m);
  assert.match(conf, /^worker_processes auto;$/m);
  assert.match(conf, /^pid "\/srv\/roro\/gateway\/nginx\.pid";$/m);
  assert.match(conf, /^error_log stderr warn;$/m);
  // the supervisor reads stdout and rotates it as gateway-access.log; one write per line keeps workers' lines whole
  assert.match(conf, /^ {2}access_log \/dev\/stdout roro;$/m);
  assert.match(conf, /client_body_temp_path "\/srv\/roro\/gateway\/tmp\/client_body";/);
});

test('slow clients wait at the gateway: whole bodies are buffered, timeouts apply and each address has a cap', () => {
  const conf = renderNginxConfig(input());
  assert.match(conf, /^ {2}proxy_request_buffering on;$/m);
  assert.match(conf, /^ {2}client_body_buffer_size 1m;$/m);
  assert.match(conf, /^ {2}client_max_body_size 64m;$/m);
  assert.match(conf, /^ {2}client_header_timeout 10s;$/m);
  assert.match(conf, /^ {2}client_body_timeout 30s;$/m);
  assert.match(conf, /^ {2}send_timeout 60s;$/m);
  assert.match(conf, /^ {2}limit_conn_zone \$binary_remote_addr zone=roro_per_client:10m;$/m);
  assert.match(conf, new RegExp(`^ {2}limit_conn roro_per_client ${DEFAULT_CONNECTIONS_PER_CLIENT};$`, 'm'));
  assert.match(conf, /^ {2}limit_conn_status 429;$/m);
  assert.match(conf, /error_page 429 @roro_429;/);
  const custom = renderNginxConfig(input({ connectionsPerClient: 7, spoolDir: '/srv/roro/gateway-spool' }));
  assert.match(custom, /limit_conn roro_per_client 7;/);
  assert.match(custom, /client_body_temp_path "\/srv\/roro\/gateway-spool\/client_body";/);
  for (const bad of [0, 1.5, -3, 100_001, NaN]) {
    assert.throws(() => renderNginxConfig(input({ connectionsPerClient: bad })), /connections per client/);
  }
  assert.throws(() => renderNginxConfig(input({ spoolDir: 'relative/spool' })), /absolute path/);
});

test('proxying keeps upstream connections alive, resends once a request whose instance died, and passes WebSocket upgrades', () => {
  const conf = renderNginxConfig(input());
  assert.match(conf, /proxy_http_version 1\.1;/);
  // Any method: an instance killed mid-request loses nothing when another one serves; a request
  // that kills instances itself reaches two at most.
  assert.match(conf, /proxy_next_upstream error timeout non_idempotent;/);
  assert.match(conf, /proxy_next_upstream_tries 2;/);
  assert.match(conf, /proxy_next_upstream_timeout 10s;/);
  assert.match(conf, /map \$http_upgrade \$roro_connection \{ default upgrade; "" ""; \}/);
  assert.match(conf, /proxy_set_header Connection \$roro_connection;/);
  assert.match(conf, /proxy_set_header X-Forwarded-For \$remote_addr;/);
  assert.match(conf, /proxy_set_header X-Forwarded-Prefix \$roro_prefix;/);
  assert.match(conf, /proxy_set_header X-Request-Id \$roro_request_id;/);
});

test('bad names and addresses are refused before they reach the route table', () => {
  const bad: Route[] = [
    { project: 'x; include /etc/passwd', service: 'default', upstreams: [] },
    { project: 'ok-name', service: 'web}', upstreams: [] },
    { project: 'a--b', service: 'default', upstreams: [] },
    { project: 'Upper', service: 'default', upstreams: [] },
    { project: 'ok-name', service: 'default', upstreams: ['127.0.0.1:80; return 200'] },
    { project: 'ok-name', service: 'default', upstreams: ['127.0.0.1:80\nevil 1.2.3.4:5'] },
    { project: 'ok-name', service: 'default', upstreams: ['127.0.0.1:99999'] },
    { project: 'ok-name', service: 'default', upstreams: ['256.0.0.1:80'] },
    // the balancer connects to addresses only; a name would need a resolver
    { project: 'ok-name', service: 'default', upstreams: ['localhost:80'] },
    { project: 'ok-name', service: 'default', upstreams: ['unix:/tmp/x.sock'] },
  ];
  for (const r of bad) assert.throws(() => renderRouteTable([r], 'g'), ValidationError, JSON.stringify(r));
  assert.throws(() => renderRouteTable(routes, 'g\nx'), ValidationError);
  assert.throws(() => renderNginxConfig(input({ domain: 'evil.com; }' })), ValidationError);
  assert.throws(() => renderNginxConfig(input({ apiUpstream: '127.0.0.1:1 backup' })), ValidationError);
  assert.throws(() => renderNginxConfig(input({ runDir: `/tmp/${'x'.repeat(100)}` })), ValidationError);
  assert.throws(() => quotePath('/tmp/$host/x'), ValidationError);
  assert.throws(() => quotePath('/tmp/a"b'), ValidationError);
  assert.throws(() => quotePath('relative/path'), ValidationError);
});

test('duplicate rows merge their upstreams', () => {
  const merged = prepareRoutes([
    ...routes,
    { project: 'credit-risk', service: 'default', upstreams: ['127.0.0.1:9001', '127.0.0.1:9004'] },
  ]);
  assert.deepEqual(merged.find((r) => r.label === 'credit-risk')?.upstreams, [
    '127.0.0.1:9001',
    '127.0.0.1:9004',
  ]);
});

test('the Lua block has balanced braces, which nginx needs to find its end', () => {
  const lua = luaInit('/srv/roro/gateway/routes.table', 'g1').join('\n');
  const code = lua.replace(/"(?:[^"\\]|\\.)*"/g, '""').replace(/--[^\n]*/g, '');
  assert.equal(code.split('{').length, code.split('}').length);
});

const dashboard = { dir: '/srv/roro/gateway-web', api: '127.0.0.1:7400' };

test('the dashboard takes / and /_roro/ on the bare domain; every other path still goes to the route table', () => {
  const conf = serverBlock(renderNginxConfig(input({ dashboard })), 'server_name localhost 127.0.0.1;');
  assert.match(conf, /location = \/ \{ root "\/srv\/roro\/gateway-web"; rewrite \^ \/index\.html break;/);
  assert.match(conf, /location \^~ \/_roro\/assets\/ \{ alias "\/srv\/roro\/gateway-web\/assets\/";/);
  assert.match(
    conf,
    /location \^~ \/_roro\/api\/v1\/ \{ set \$roro_prefix \/_roro\/api; proxy_pass http:\/\/roro-platform-api\/v1\/; proxy_buffering off; \}/,
  );
  assert.match(conf, /location \^~ \/_roro\/ \{ return 404/);
  assert.match(conf, /location \/ \{ rewrite_by_lua_block \{ roro\.route_prefix\(\) \}/);
  // `_` starts no project label (core/names.ts), so no project's /<label>/ can be hidden.
  assert.match(
    renderNginxConfig(input({ dashboard })),
    /upstream roro-platform-api \{\n\s+server 127\.0\.0\.1:7400 /,
  );
});

test('without a built dashboard the gateway serves no page and no API path', () => {
  const conf = renderNginxConfig(input());
  assert.doesNotMatch(conf, /_roro|location = \/ |roro-platform-api/);
});

test('a dashboard directory that nginx could misread is refused', () => {
  assert.throws(
    () => renderNginxConfig(input({ dashboard: { dir: '/srv/a;b', api: '127.0.0.1:7400' } })),
    ValidationError,
  );
  assert.throws(
    () => renderNginxConfig(input({ dashboard: { dir: '/srv/web', api: 'x:y' } })),
    ValidationError,
  );
});

test("services and notebooks by path run sandboxed in an opaque origin, not the dashboard's", () => {
  const conf = renderNginxConfig(input({ dashboard }));
  const byPath = serverBlock(conf, 'server_name localhost 127.0.0.1;').match(/location \/ \{.*\}/)?.[0] ?? '';
  assert.match(
    byPath,
    /add_header Content-Security-Policy "sandbox allow-scripts allow-forms allow-popups allow-downloads" always;/,
  );
  // No allow-same-origin: that would give the page the dashboard's origin back.
  assert.doesNotMatch(byPath, /allow-same-origin/);
  assert.match(byPath, /proxy_hide_header Service-Worker-Allowed;/);
  // The location's own add_header hides the server's: the request id is added again.
  assert.match(byPath, /add_header X-Request-Id \$roro_request_id always;/);
  assert.match(byPath, /header_filter_by_lua_block \{ roro\.drop_platform_cookies\(\) \}/);
  // A host is an origin of its own: Jupyter and web apps keep working there, but may not toss cookies either.
  const byHost = serverBlock(conf, 'server_name ~^(?<roro_host>').match(/location \/ \{.*\}/)?.[0] ?? '';
  assert.match(byHost, /roro\.route\(ngx\.var\.roro_host\)/);
  assert.doesNotMatch(byHost, /sandbox/);
  assert.match(byHost, /header_filter_by_lua_block \{ roro\.drop_platform_cookies\(\) \}/);
  // The dashboard's own locations carry its strict CSP, never the sandbox.
  assert.doesNotMatch(
    serverBlock(conf, 'server_name localhost 127.0.0.1;').match(/location = \/ \{.*\}/)?.[0] ?? '',
    /sandbox/,
  );
});
