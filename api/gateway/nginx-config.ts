import { isValidName, NAME_RULE } from '../../core/names.js';
import { ValidationError } from '../../core/errors.js';
import { adminSocket, luaInit, routeTableFile, SHARED_DICT, TABLE_HEADER } from './nginx-lua.js';
import {
  adminServer,
  errorPages,
  hostServer,
  bareServer,
  catchAllServer,
  redirectServer,
  servicesUpstream,
  upstreamBlock,
} from './nginx-servers.js';

/** One routable service and the addresses of its running instances. */
export interface Route {
  project: string;
  service: string;
  /** `<ipv4>:<port>` of each running instance (the balancer cannot resolve names); empty means no instance is up. */
  upstreams: string[];
}

/**
 * What the nginx config depends on. Routes are not part of it: they live in the route table file and
 * in nginx's shared dict, so a route change never rewrites or reloads the config.
 */
export interface NginxConfigInput {
  domain: string;
  httpsPort: number;
  /** Plain HTTP port that redirects to HTTPS and answers `/.roro/generation`. */
  httpPort: number;
  tls: { cert: string; key: string };
  /** Private (0700): holds the pid file, the admin socket and the route table file. */
  runDir: string;
  /**
   * nginx's temporary directories (request bodies over 1 MB wait here until complete); default
   * `<runDir>/tmp`. nginx creates each as 0700 for its worker user, so when nginx starts as root and
   * its workers run as nobody, this directory and its parents must be traversable (o+x): not runDir.
   */
  spoolDir?: string;
  /** Concurrent requests one client address may have in progress; more are answered 429. */
  connectionsPerClient?: number;
  /** `host:port` of the platform API, served under `/api/` of the bare host. */
  apiUpstream?: string;
  /** Extra plain HTTP listener that serves the same routes, for benchmarks and debugging. */
  plainHttpPort?: number;
  /** nginx worker processes; 1 measured best on 2 shared cores (see bench/gateway). */
  workers?: number | 'auto';
  http2?: boolean;
  /** Changes whenever the config does, so the caller can see when a reload took effect. */
  generation?: string;
}

/** A route after validation, under the label requests name it by. */
export interface RenderedRoute {
  project: string;
  service: string;
  upstreams: string[];
  /** `<project>` for the default service, `<project>--<service>` otherwise. */
  label: string;
}

const ADDRESS_RE = /^(?:\d{1,3}(?:\.\d{1,3}){3}|[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?):(\d{1,5})$/;
const PEER_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3}):(\d{1,5})$/;
const DOMAIN_RE = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** Throws unless `address` is `host:port` with nothing nginx could read as syntax. */
export function checkAddress(address: string): string {
  const m = ADDRESS_RE.exec(address);
  const port = Number(m?.[1]);
  if (!m || port < 1 || port > 65535) {
    throw new ValidationError(
      `Upstream address ${JSON.stringify(address)} is not host:port: use an address such as "127.0.0.1:8080".`,
    );
  }
  return address;
}

/** Throws unless `address` is `<ipv4>:<port>`, the only form the Lua balancer can connect to. */
export function checkPeer(address: string): string {
  const m = typeof address === 'string' ? PEER_RE.exec(address) : null;
  const port = Number(m?.[5]);
  if (!m || m.slice(1, 5).some((o) => Number(o) > 255) || port < 1 || port > 65535) {
    throw new ValidationError(
      `Instance address ${JSON.stringify(address)} is not <ipv4>:<port>: use an address such as "127.0.0.1:8080".`,
    );
  }
  return address;
}

function checkPort(name: string, port: number | undefined): void {
  if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535)) {
    throw new ValidationError(`Gateway ${name} ${port} is not a TCP port: use a number between 1 and 65535.`);
  }
}

/** Quotes a file path for nginx; refuses characters that nginx would treat as quoting or variables. */
export function quotePath(p: string): string {
  if (!p.startsWith('/') || /["'\\$;{}\u0000-\u001f]/.test(p)) {
    throw new ValidationError(
      `Path ${JSON.stringify(p)} cannot be used in the gateway config: use an absolute path without quotes, backslashes, "$", ";" or braces.`,
    );
  }
  return `"${p}"`;
}

/** Validates the route table, merges duplicate rows and labels each route. */
export function prepareRoutes(routes: Route[]): RenderedRoute[] {
  const byLabel = new Map<string, RenderedRoute>();
  for (const r of routes) {
    for (const [kind, name] of [
      ['project', r.project],
      ['service', r.service],
    ] as const) {
      if (typeof name !== 'string' || !isValidName(name)) {
        throw new ValidationError(
          `Route has an invalid ${kind} name ${JSON.stringify(name)}: a ${kind} name ${NAME_RULE}.`,
        );
      }
    }
    const label = r.service === 'default' ? r.project : `${r.project}--${r.service}`;
    const entry = byLabel.get(label) ?? {
      project: r.project,
      service: r.service,
      upstreams: [],
      label,
    };
    for (const u of r.upstreams) if (!entry.upstreams.includes(checkPeer(u))) entry.upstreams.push(u);
    byLabel.set(label, entry);
  }
  return [...byLabel.values()].sort((a, b) => a.label.localeCompare(b.label));
}

const GENERATION_RE = /^[a-z0-9-]{1,64}$/;

/** The route table in the line format the Lua side parses (see nginx-lua.ts); validates every entry. */
export function renderRouteTable(routes: Route[], generation: string): string {
  if (!GENERATION_RE.test(generation)) {
    throw new ValidationError(
      `Route table generation ${JSON.stringify(generation)} is invalid: use [a-z0-9-], at most 64 characters.`,
    );
  }
  const lines = prepareRoutes(routes).map((r) => [r.label, ...r.upstreams].join(' '));
  return [TABLE_HEADER, `generation ${generation}`, ...lines, ''].join('\n');
}

function mainBlock(input: NginxConfigInput): string[] {
  const workers = input.workers ?? 1;
  if (workers !== 'auto' && (!Number.isInteger(workers) || workers < 1 || workers > 64)) {
    throw new ValidationError(`Gateway workers ${workers} is invalid: use a number from 1 to 64 or "auto".`);
  }
  return [
    '# Generated by roro; edits are overwritten when the gateway settings change (routes live in routes.table).',
    `# generation ${input.generation ?? '0'}`,
    'load_module /usr/lib/nginx/modules/ndk_http_module.so;',
    'load_module /usr/lib/nginx/modules/ngx_http_lua_module.so;',
    'daemon off;',
    'master_process on;',
    `worker_processes ${workers};`,
    `pid ${quotePath(`${input.runDir}/nginx.pid`)};`,
    // Both logs go to whoever started nginx (the supervisor rotates them): errors to stderr, access to stdout.
    'error_log stderr warn;',
    // Old workers holding WebSocket connections would otherwise live on after every reload.
    'worker_shutdown_timeout 60s;',
    'events { worker_connections 4096; }',
  ];
}

/** Default of `connectionsPerClient`: above what one browser or SDK opens, far below what starves a worker. */
export const DEFAULT_CONNECTIONS_PER_CLIENT = 128;

/** Where nginx's temporary directories go (see `spoolDir`). */
export function spoolDir(input: Pick<NginxConfigInput, 'runDir' | 'spoolDir'>): string {
  return input.spoolDir ?? `${input.runDir}/tmp`;
}

function checkConnectionsPerClient(n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > 100_000) {
    throw new ValidationError(
      `Gateway connections per client ${n} is invalid: use a whole number from 1 to 100000.`,
    );
  }
  return n;
}

function httpSettings(input: NginxConfigInput): string[] {
  const tmp = (name: string) => `${name}_temp_path ${quotePath(`${spoolDir(input)}/${name}`)};`;
  const perClient = checkConnectionsPerClient(input.connectionsPerClient ?? DEFAULT_CONNECTIONS_PER_CLIENT);
  return [
    ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(tmp),
    'log_format roro \'$remote_addr [$time_iso8601] "$request" $status $body_bytes_sent $request_time \'',
    "                '$host $upstream_addr $upstream_response_time $roro_request_id';",
    // stdout must be a pipe or a file for nginx to open it. Unbuffered, each line is one write of less
    // than PIPE_BUF, which several workers cannot interleave; buffered writes of 64k could be.
    'access_log /dev/stdout roro;',
    // The gateway never serves files, so every body nginx makes itself is JSON.
    'types { }',
    'default_type application/json;',
    'server_tokens off;',
    'absolute_redirect off;',
    'keepalive_timeout 75s;',
    // A request reaches a service only once its whole body has arrived: a client that sends slowly
    // holds one cheap nginx connection, never one of the service's few threads. Bodies up to 1 MB
    // wait in memory, larger ones (up to 64 MB) in spoolDir.
    'client_max_body_size 64m;',
    'client_body_buffer_size 1m;',
    'proxy_request_buffering on;',
    // Likewise a client that reads slowly: nginx takes the answer (up to 64 MB on disk) and frees the service.
    'proxy_max_temp_file_size 64m;',
    // Between two reads or writes, not for the whole transfer.
    'client_header_timeout 10s;',
    'client_body_timeout 30s;',
    'send_timeout 60s;',
    // Per client address; a WebSocket counts for as long as it is open.
    'limit_conn_zone $binary_remote_addr zone=roro_per_client:10m;',
    `limit_conn roro_per_client ${perClient};`,
    'limit_conn_status 429;',
    'limit_conn_log_level warn;',
    'proxy_http_version 1.1;',
    'proxy_connect_timeout 5s;',
    'proxy_send_timeout 600s;',
    'proxy_read_timeout 600s;',
    // An instance that refuses the connection, or dies before it answers, hands the request to
    // another instance, whatever its method: killing one of two instances loses no request. One
    // resend only, so a request that itself kills instances reaches two at most; services that must
    // not run a request twice de-duplicate by X-Request-Id.
    'proxy_next_upstream error timeout non_idempotent;',
    'proxy_next_upstream_tries 2;',
    'proxy_next_upstream_timeout 10s;',
    'proxy_set_header Host $http_host;',
    'proxy_set_header X-Forwarded-Host $http_host;',
    'proxy_set_header X-Forwarded-Proto $scheme;',
    // The gateway is the edge: a client-sent X-Forwarded-For is replaced, not trusted.
    'proxy_set_header X-Forwarded-For $remote_addr;',
    'proxy_set_header X-Real-IP $remote_addr;',
    'proxy_set_header X-Forwarded-Prefix $roro_prefix;',
    'proxy_set_header X-Request-Id $roro_request_id;',
    'proxy_set_header Upgrade $http_upgrade;',
    'proxy_set_header Connection $roro_connection;',
    'add_header X-Request-Id $roro_request_id always;',
    'map $http_upgrade $roro_connection { default upgrade; "" ""; }',
    'map $http_x_request_id $roro_request_id { default $request_id; "~^[A-Za-z0-9._:-]{1,128}$" $http_x_request_id; }',
    // Host and path go into JSON error bodies only when they need no escaping.
    `map "$host$uri" $roro_where { default "(an address that cannot be shown)"; "~^[^\\x22\\x5c\\x00-\\x1f\\x7f]{0,300}$" "$host$uri"; }`,
    `ssl_certificate ${quotePath(input.tls.cert)};`,
    `ssl_certificate_key ${quotePath(input.tls.key)};`,
    'ssl_protocols TLSv1.2 TLSv1.3;',
    'ssl_session_cache shared:roro_tls:10m;',
    'ssl_session_timeout 1h;',
    `lua_shared_dict ${SHARED_DICT} 16m;`,
    'init_by_lua_block {',
    ...luaInit(routeTableFile(input.runDir), input.generation ?? '0').map((l) => (l ? `  ${l}` : l)),
    '}',
  ];
}

/** Renders the whole nginx configuration (routes excluded, see renderRouteTable); pure, so it is unit-tested. */
export function renderNginxConfig(input: NginxConfigInput): string {
  if (!DOMAIN_RE.test(input.domain) || input.domain.length > 253) {
    throw new ValidationError(
      `Gateway domain ${JSON.stringify(input.domain)} is not a DNS name: use lowercase labels separated by dots.`,
    );
  }
  checkPort('httpsPort', input.httpsPort);
  checkPort('httpPort', input.httpPort);
  checkPort('plainHttpPort', input.plainHttpPort);
  if (input.apiUpstream !== undefined) checkAddress(input.apiUpstream);
  if (input.generation !== undefined && !GENERATION_RE.test(input.generation)) {
    throw new ValidationError(
      `Config generation ${JSON.stringify(input.generation)} is invalid: use [a-z0-9-].`,
    );
  }
  quotePath(input.runDir);
  quotePath(spoolDir(input));
  // sun_path holds 108 bytes
  if (Buffer.byteLength(adminSocket(input.runDir)) > 100) {
    throw new ValidationError(
      `Gateway runDir ${input.runDir} is too long for a unix socket path: use a path under 90 characters.`,
    );
  }
  const ctx = { ...input, errors: errorPages() };
  const http = [
    ...httpSettings(input),
    ...servicesUpstream(),
    ...(input.apiUpstream ? upstreamBlock('roro-platform-api', [input.apiUpstream]) : []),
    ...redirectServer(ctx),
    ...catchAllServer(ctx),
    ...bareServer(ctx),
    ...hostServer(ctx),
    ...adminServer(ctx),
  ];
  return [...mainBlock(input), 'http {', ...http.map((l) => (l ? `  ${l}` : l)), '}', ''].join('\n');
}
