import type { NginxConfigInput, RenderedRoute } from './nginx-config.js';

/** What the server renderers need: the validated input plus the shared error-page lines. */
export interface ServerContext extends Omit<NginxConfigInput, 'routes'> {
  routes: RenderedRoute[];
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

export function upstreamBlock(r: Pick<RenderedRoute, 'upstreamName' | 'upstreams'>): string[] {
  return [
    `upstream ${r.upstreamName} {`,
    ...r.upstreams.map((u) => `  server ${u} max_fails=1 fail_timeout=5s;`),
    '  keepalive 32;',
    // Shorter than most app servers' idle limit would be better, but nginx retries a reused connection that fails.
    '  keepalive_timeout 30s;',
    '}',
  ];
}

/** Where a route's requests go: its upstream block, or a JSON 503 when no instance runs. */
function routeTarget(r: RenderedRoute, uri: string): string {
  if (r.upstreams.length === 0) {
    return json(
      503,
      `${r.service} of project ${r.project} has no running instance: start it with \`roro start ${r.service}\` or ${HINT}`,
    );
  }
  return `proxy_pass http://${r.upstreamName}${uri};`;
}

/** Plain HTTP: redirects to HTTPS with the same host and path, and reports the config generation. */
export function redirectServer(ctx: ServerContext): string[] {
  const port = ctx.httpsPort === 443 ? '' : `:${ctx.httpsPort}`;
  return server([
    `listen 127.0.0.1:${ctx.httpPort} default_server;`,
    'server_name _;',
    'access_log off;',
    ...ctx.errors.filter((l) => !l.includes('497')),
    `location = /.roro/generation { return 200 '{"generation": "${ctx.generation ?? '0'}"}\\n'; }`,
    `location / { return 308 https://$host${port}$request_uri; }`,
  ]);
}

/** Any host that is neither the bare domain nor a service's host. */
export function catchAllServer(ctx: ServerContext): string[] {
  return server([
    ...listens(ctx, true),
    'server_name _;',
    'set $roro_prefix "";',
    ...ctx.errors,
    `location / { ${json(404, `no service at $roro_where: the host names no project; ${HINT}`)} }`,
  ]);
}

/** The bare domain: services by path prefix (`/<project>/`, `/<project>--<service>/`) and the API under `/api/`. */
export function bareServer(ctx: ServerContext): string[] {
  const names = ctx.domain === 'localhost' ? 'localhost 127.0.0.1' : ctx.domain;
  const locations: string[] = [];
  for (const r of ctx.routes) {
    // The platform API owns /api/; a project called "api" is still reachable by its host name.
    if (ctx.apiUpstream && r.label === 'api') continue;
    locations.push(`location = /${r.label} { return 308 /${r.label}/$is_args$args; }`);
    locations.push(`location /${r.label}/ { set $roro_prefix /${r.label}; ${routeTarget(r, '/')} }`);
  }
  if (ctx.apiUpstream) {
    locations.push('location = /api { return 308 /api/$is_args$args; }');
    locations.push('location /api/ { set $roro_prefix /api; proxy_pass http://roro-platform-api/; }');
  }
  return server([
    ...listens(ctx, false),
    `server_name ${names};`,
    'set $roro_prefix "";',
    ...ctx.errors,
    ...locations,
    `location / { ${json(404, `no service at $roro_where: the path must start with /<project>/ or /<project>--<service>/; ${HINT}`)} }`,
  ]);
}

/** `<project>.<domain>` or `<project>--<service>.<domain>`. */
export function hostServer(ctx: ServerContext, r: RenderedRoute): string[] {
  return server([
    ...listens(ctx, false),
    `server_name ${r.label}.${ctx.domain};`,
    'set $roro_prefix "";',
    ...ctx.errors,
    `location / { ${routeTarget(r, '')} }`,
  ]);
}
