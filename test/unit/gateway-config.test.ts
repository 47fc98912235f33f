import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  renderNginxConfig,
  prepareRoutes,
  quotePath,
  type NginxConfigInput,
  type Route,
} from '../../api/gateway/nginx-config.js';
import { ValidationError } from '../../core/errors.js';

function input(routes: Route[], extra: Partial<NginxConfigInput> = {}): NginxConfigInput {
  return {
    routes,
    domain: 'localhost',
    httpsPort: 7443,
    httpPort: 7480,
    tls: { cert: '/srv/roro/tls/gateway.crt', key: '/srv/roro/tls/gateway.key' },
    runDir: '/srv/roro/gateway',
    logDir: '/srv/roro/logs',
    ...extra,
  };
}

const routes: Route[] = [
  { project: 'credit-risk', service: 'default', upstreams: ['127.0.0.1:9001'] },
  { project: 'credit-risk', service: 'web', upstreams: ['127.0.0.1:9002', '127.0.0.1:9003'] },
];

/** The text of the one server block that contains `needle`. */
function serverBlock(conf: string, needle: string): string {
  const blocks = conf.split(/\n {2}server \{\n/).slice(1);
  const block = blocks.find((b) => b.includes(needle));
  assert.ok(block, `no server block contains ${needle}`);
  return block;
}

test('default service is served at <project>.<domain>, others at <project>--<service>.<domain>', () => {
  const conf = renderNginxConfig(input(routes));
  assert.match(
    serverBlock(conf, 'credit-risk.localhost;'),
    /location \/ \{ proxy_pass http:\/\/roro-credit-risk--default; \}/,
  );
  assert.match(
    serverBlock(conf, 'credit-risk--web.localhost;'),
    /proxy_pass http:\/\/roro-credit-risk--web;/,
  );
  assert.match(
    conf,
    /upstream roro-credit-risk--web \{\n\s+server 127\.0\.0\.1:9002 [^\n]*\n\s+server 127\.0\.0\.1:9003 [^\n]*\n\s+keepalive 32;/,
  );
});

test('bare host routes by path prefix and strips the prefix', () => {
  const bare = serverBlock(renderNginxConfig(input(routes)), 'server_name localhost 127.0.0.1;');
  assert.match(
    bare,
    /location \/credit-risk\/ \{ set \$roro_prefix \/credit-risk; proxy_pass http:\/\/roro-credit-risk--default\/; \}/,
  );
  assert.match(bare, /location \/credit-risk--web\/ \{ [^}]*proxy_pass http:\/\/roro-credit-risk--web\/; \}/);
  assert.match(bare, /location = \/credit-risk \{ return 308 \/credit-risk\/\$is_args\$args; \}/);
});

test('platform API is under /api/ only when apiUpstream is given, and wins over a project named api', () => {
  const withApi = [...routes, { project: 'api', service: 'default', upstreams: ['127.0.0.1:9100'] }];
  assert.doesNotMatch(renderNginxConfig(input(withApi)), /roro-platform-api/);
  const conf = renderNginxConfig(input(withApi, { apiUpstream: '127.0.0.1:7400' }));
  const bare = serverBlock(conf, 'server_name localhost');
  assert.match(bare, /location \/api\/ \{ [^}]*proxy_pass http:\/\/roro-platform-api\/; \}/);
  assert.equal(bare.match(/location \/api\//g)?.length, 1);
  assert.match(serverBlock(conf, 'api.localhost;'), /proxy_pass http:\/\/roro-api--default;/);
});

test('unknown host and unknown prefix answer a JSON 404 that names the address and roro ps', () => {
  const conf = renderNginxConfig(input(routes));
  assert.match(conf, /types \{ \}\n\s+default_type application\/json;/);
  const catchAll = serverBlock(conf, 'ssl default_server;');
  assert.match(catchAll, /listen 127\.0\.0\.1:7443 ssl default_server;/);
  const notFound = /return 404 '\{"error": "no service at \$roro_where: [^']*roro ps[^']*"\}\\n';/;
  assert.match(catchAll, notFound);
  assert.match(serverBlock(conf, 'server_name localhost'), notFound);
});

test('nginx error pages are JSON in every server, and a route without instances answers 503', () => {
  const conf = renderNginxConfig(input([...routes, { project: 'idle', service: 'default', upstreams: [] }]));
  for (const name of ['credit-risk.localhost;', 'server_name localhost', 'idle.localhost;']) {
    const block = serverBlock(conf, name);
    assert.match(block, /error_page 502 @roro_502;/);
    assert.match(block, /location @roro_502 \{ return 502 '\{"error": "[^']*"\}\\n'; \}/);
  }
  assert.match(
    serverBlock(conf, 'idle.localhost;'),
    /location \/ \{ return 503 '\{"error": "default of project idle has no running instance/,
  );
  assert.doesNotMatch(conf, /upstream roro-idle--default/);
});

test('plain HTTP port redirects to HTTPS with the same host and path, and reports the generation', () => {
  const conf = renderNginxConfig(input(routes, { generation: 'abc123' }));
  const redirect = serverBlock(conf, 'access_log off;');
  assert.match(redirect, /listen 127\.0\.0\.1:7480 default_server;/);
  assert.match(redirect, /return 308 https:\/\/\$host:7443\$request_uri;/);
  assert.match(redirect, /"generation": "abc123"/);
  assert.match(redirect, /error_page 301 302 307 308 @roro_redirect;/);
  assert.match(
    renderNginxConfig(input(routes, { httpsPort: 443 })),
    /return 308 https:\/\/\$host\$request_uri;/,
  );
});

test('nginx runs in the foreground with pid, logs and temp paths in the platform directories', () => {
  const conf = renderNginxConfig(input(routes, { workers: 'auto' }));
  assert.match(conf, /^daemon off;$/m);
  assert.match(conf, /^worker_processes auto;$/m);
  assert.match(conf, /^pid "\/srv\/roro\/gateway\/nginx\.pid";$/m);
  assert.match(conf, /^error_log "\/srv\/roro\/logs\/gateway-error\.log" warn;$/m);
  assert.match(conf, /client_body_temp_path "\/srv\/roro\/gateway\/tmp\/client_body";/);
  assert.doesNotMatch(conf, /listen (?!127\.0\.0\.1:)/);
});

test('proxying keeps upstream connections alive and passes WebSocket upgrades', () => {
  const conf = renderNginxConfig(input(routes));
  assert.match(conf, /proxy_http_version 1\.1;/);
  assert.match(conf, /map \$http_upgrade \$roro_connection \{ default upgrade; "" ""; \}/);
  assert.match(conf, /proxy_set_header Connection \$roro_connection;/);
  assert.match(conf, /proxy_set_header X-Request-Id \$roro_request_id;/);
});

test('bad names and addresses are refused before they reach the config', () => {
  const bad: Route[] = [
    { project: 'x; include /etc/passwd', service: 'default', upstreams: [] },
    { project: 'ok-name', service: 'web}', upstreams: [] },
    { project: 'a--b', service: 'default', upstreams: [] },
    { project: 'Upper', service: 'default', upstreams: [] },
    { project: 'ok-name', service: 'default', upstreams: ['127.0.0.1:80; return 200'] },
    { project: 'ok-name', service: 'default', upstreams: ['127.0.0.1:99999'] },
    { project: 'ok-name', service: 'default', upstreams: ['unix:/tmp/x.sock'] },
  ];
  for (const r of bad) assert.throws(() => renderNginxConfig(input([r])), ValidationError, JSON.stringify(r));
  assert.throws(() => renderNginxConfig(input(routes, { domain: 'evil.com; }' })), ValidationError);
  assert.throws(
    () => renderNginxConfig(input(routes, { apiUpstream: '127.0.0.1:1 backup' })),
    ValidationError,
  );
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
