import type { NginxConfigInput } from './config-input.js';
import { adminSocket } from './nginx-lua.js';
import { dashboardLocations } from './nginx-dashboard.js';
import { projectResponseLines } from './nginx-isolation.js';

/** What the server renderers need: the validated input plus the shared error-page lines. */
export interface ServerContext extends NginxConfigInput {
  errors: string[];
}

const HINT = 'list services and their URLs with `roro ps`';

/** A JSON body for `return`; text is trusted (names are validated), `$roro_where` is pre-filtered. */
function json(status: number, message: string): string {
  return `return ${status} '{"error": "${message}"}\\n';`;
}

/**
 * nginx answers some requests itself (bad request, body too large, service down); these make every
 * such answer JSON, never an HTML page. Named locations cannot be shared between servers.
 */
export function errorPages(): string[] {
  const pages: [number[], number, string][] = [
    [[400, 494], 400, 'bad request: the request headers could not be read or are too large'],
    [[408], 408, 'request timeout: the request was not received in time'],
    [[413], 413, 'request body too large at $roro_where: the gateway accepts at most 64 MB'],
    [[414], 414, 'request URI too long: shorten the path or query string'],
    [[429], 429, 'too many requests in progress from your address: wait for some to finish, then retry'],
    [[500], 500, 'gateway error at $roro_where: see the gateway log in RORO_HOME/logs'],
    [
      [502],
      502,
      `the service at $roro_where is not answering: check that it runs (${HINT}) and read its log with \`roro logs\``,
    ],
    [[503], 503, `the service at $roro_where is not available: ${HINT}`],
    [[504], 504, `the service at $roro_where did not answer in time: read its log with \`roro logs\``],
  ];
  return [
    ...pages.flatMap(([codes, status, msg]) => [
      `error_page ${codes.join(' ')} @roro_${status};`,
      `location @roro_${status} { ${json(status, msg)} }`,
    ]),
    // A redirect keeps its status and Location; only nginx's HTML body is replaced.
    'error_page 301 302 307 308 @roro_redirect;',
    `location @roro_redirect { return 200 '{"redirect": "follow the Location header"}\\n'; }`,
    // Plain HTTP sent to the HTTPS port: send the client to the right scheme instead of an error.
    'error_page 497 =308 https://$host:$server_port$request_uri;',
  ];
}

function listens(ctx: ServerContext, defaultServer: boolean): string[] {
  const flag = defaultServer ? ' default_server' : '';
  const lines = [`listen 127.0.0.1:${ctx.httpsPort} ssl${ctx.http2 ? ' http2' : ''}${flag};`];
  if (ctx.plainHttpPort) lines.push(`listen 127.0.0.1:${ctx.plainHttpPort}${flag};`);
  return lines;
}

function server(lines: string[]): string[] {
  return ['server {', ...lines.map((l) => `  ${l}`), '}'];
}

/** A static upstream (the platform API). */
export function upstreamBlock(name: string, upstreams: string[]): string[] {
  return [
    `upstream ${name} {`,
    ...upstreams.map((u) => `  server ${u} max_fails=1 fail_timeout=5s;`),
    '  keepalive 32;',
    '  keepalive_timeout 30s;',
    '}',
  ];
}

/**
 * Every service's requests: the Lua balancer picks the instance from the route table per request.
 * `keepalive` must follow `balancer_by_lua_block`, which would otherwise replace it; idle
 * connections are kept per instance address.
 */
export function servicesUpstream(): string[] {
  return [
    'upstream roro_services {',
    '  server 0.0.0.1:1; # never used: the balancer sets every peer',
    '  balancer_by_lua_block { roro.balance() }',
    '  keepalive 128;',
    // Shorter than most app servers' idle limit; nginx retries a reused connection that fails.
    '  keepalive_timeout 30s;',
    '}',
  ];
}

/** Answers for a route the table does not have, or has without a running instance. */
function routeMisses(notFound: string): string[] {
  return [
    `location @roro_unknown { ${json(404, notFound)} }`,
    `location @roro_idle { ${json(
      503,
      `$roro_service of project $roro_project has no running instance: start it with \`roro start $roro_service\` or ${HINT}`,
    )} }`,
  ];
}

const ROUTE_VARS = ['set $roro_prefix "";', 'set $roro_project "";', 'set $roro_service "";'];

/** Plain HTTP: redirects to HTTPS with the same host and path, and reports the served generations. */
export function redirectServer(ctx: ServerContext): string[] {
  const port = ctx.httpsPort === 443 ? '' : `:${ctx.httpsPort}`;
  return server([
    `listen 127.0.0.1:${ctx.httpPort} default_server;`,
    'server_name _;',
    'access_log off;',
    ...ctx.errors.filter((l) => !l.includes('497')),
    'location = /.roro/generation { content_by_lua_block { roro.generation() } }',
    `location / { return 308 https://$host${port}$request_uri; }`,
  ]);
}

const HOST_NOT_FOUND = `no service at $roro_where: the host names no project; ${HINT}`;

/** Any host that is neither the bare domain nor a service's host. */
export function catchAllServer(ctx: ServerContext): string[] {
  return server([
    ...listens(ctx, true),
    'server_name _;',
    'set $roro_prefix "";',
    ...ctx.errors,
    `location / { ${json(404, HOST_NOT_FOUND)} }`,
  ]);
}

/** The bare domain: services by path prefix (`/<project>/`, `/<project>--<service>/`) and the API under `/api/`. */
export function bareServer(ctx: ServerContext): string[] {
  const names = ctx.domain === 'localhost' ? 'localhost 127.0.0.1' : ctx.domain;
  // The platform API owns /api/; a project called "api" is still reachable by its host name.
  const api = ctx.apiUpstream
    ? [
        'location = /api { return 308 /api/$is_args$args; }',
        'location ^~ /api/ { set $roro_prefix /api; proxy_pass http://roro-platform-api/; }',
      ]
    : [];
  return server([
    ...listens(ctx, false),
    `server_name ${names};`,
    ...ROUTE_VARS,
    ...ctx.errors,
    ...routeMisses(
      `no service at $roro_where: the path must start with /<project>/ or /<project>--<service>/; ${HINT}`,
    ),
    ...api,
    ...(ctx.dashboard ? dashboardLocations(ctx.dashboard) : []),
    // Services and notebooks by path share this origin with the dashboard: sandboxed (nginx-isolation.ts).
    `location / { rewrite_by_lua_block { roro.route_prefix() } proxy_pass http://roro_services; ${projectResponseLines(true).join(' ')} }`,
  ]);
}

/** `<project>.<domain>` or `<project>--<service>.<domain>`, for every label in the route table. */
export function hostServer(ctx: ServerContext): string[] {
  const domain = ctx.domain.replace(/\./g, '\\.');
  return server([
    ...listens(ctx, false),
    `server_name ~^(?<roro_host>[a-z0-9-]+)\\.${domain}$;`,
    ...ROUTE_VARS,
    ...ctx.errors,
    ...routeMisses(HOST_NOT_FOUND),
    `location / { rewrite_by_lua_block { roro.route(ngx.var.roro_host) } proxy_pass http://roro_services; ${projectResponseLines(false).join(' ')} }`,
  ]);
}

/**
 * Route table and host certificate updates, on a unix socket in the private runDir so no user can reach it. The body
 * stays in memory: workers could not write a temp file into runDir.
 */
export function adminServer(ctx: ServerContext): string[] {
  return server([
    `listen "unix:${adminSocket(ctx.runDir)}";`,
    'server_name _;',
    'access_log off;',
    'client_max_body_size 16m;',
    'client_body_buffer_size 16m;',
    'location = /routes { content_by_lua_block { roro.admin() } }',
    'location = /certs { content_by_lua_block { roro.admin_certs() } }',
    `location / { ${json(404, 'the admin socket serves PUT /routes and PUT /certs only')} }`,
  ]);
}
