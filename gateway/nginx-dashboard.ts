import type { NginxConfigInput } from './config-input.js';

/** The path prefix the dashboard owns on the bare domain: `_` starts no project label. */
export const DASHBOARD_PREFIX = '/_roro/';

/** Scripts, styles and API calls come from this origin only; no page may frame the dashboard. */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  // Preact sets style attributes (the metric plot, widths).
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

const STATIC = [
  'types { text/html html; text/javascript js; text/css css; image/svg+xml svg; image/png png; }',
  'gzip on;',
  'gzip_types text/javascript text/css image/svg+xml;',
  'gzip_min_length 512;',
  'gzip_vary on;',
  `add_header Content-Security-Policy "${CSP}" always;`,
  'add_header X-Content-Type-Options nosniff always;',
  'add_header Referrer-Policy same-origin always;',
  'add_header X-Request-Id $roro_request_id always;',
];

/**
 * The dashboard's locations in the bare domain's server: its page at `/` (a path no project can
 * claim: a project's routes start with `/<label>/`), its hashed assets under `/_roro/assets/`, and
 * the platform API under `/_roro/api/v1/`, so the page's calls are same-origin and carry the
 * session cookie (whose Path is `/_roro/`: never sent to a project's service).
 */
export function dashboardLocations(dashboard: NonNullable<NginxConfigInput['dashboard']>): string[] {
  // renderNginxConfig has checked the path (quotePath): it needs no escaping.
  const dir = `"${dashboard.dir}"`;
  const block = (match: string, lines: string[]) => `location ${match} { ${lines.join(' ')} }`;
  return [
    block('= /', [
      `root ${dir};`,
      'rewrite ^ /index.html break;',
      ...STATIC,
      'add_header Cache-Control no-cache always;',
    ]),
    // File names carry a hash of their content: a new build never reuses one.
    block(`^~ ${DASHBOARD_PREFIX}assets/`, [
      `alias "${dashboard.dir}/assets/";`,
      ...STATIC,
      'add_header Cache-Control "public, max-age=31536000, immutable" always;',
    ]),
    block(`^~ ${DASHBOARD_PREFIX}api/v1/`, [
      `set $roro_prefix ${DASHBOARD_PREFIX}api;`,
      'proxy_pass http://roro-platform-api/v1/;',
      // Job logs (Server-Sent Events) and deploy events (NDJSON) reach the page as they are written.
      'proxy_buffering off;',
    ]),
    block(`^~ ${DASHBOARD_PREFIX}`, [
      `return 404 '{"error": "no dashboard file at $roro_where: open the dashboard at /"}\\n';`,
    ]),
  ];
}
