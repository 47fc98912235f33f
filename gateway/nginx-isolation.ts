/**
 * Keeps projects' pages away from the dashboard. The dashboard and its API (`/_roro/`) live on the
 * bare domain, and so do services and notebooks routed by path (`/<project>/`, `/<project>--nb-<id>/`):
 * without this, a project's page served by path would share the dashboard's origin and could call
 * `/_roro/api/v1/...` as whoever opened it, session cookie and all.
 */

/**
 * A path-routed response runs in an opaque origin: scripts, forms, popups and downloads still work,
 * but the page is same-origin with nothing, so the browser sends it no SameSite cookie of the
 * dashboard, gives it no `document.cookie` or storage of the domain, and lets it read no answer of
 * the API (which sends no CORS headers). A service's own CSP, if any, still applies beside this one.
 * Pages that need their own origin (Jupyter, web apps calling their own API) use the host URL,
 * `<label>.<domain>`, which is a separate origin already.
 */
export const PATH_ROUTE_CSP = 'sandbox allow-scripts allow-forms allow-popups allow-downloads';

/** Lines for every location that proxies to a project's container, by path or by host. */
export function projectResponseLines(byPath: boolean): string[] {
  const path = [
    `add_header Content-Security-Policy "${PATH_ROUTE_CSP}" always;`,
    // An add_header here hides the server's own ones from this location: the request id again.
    'add_header X-Request-Id $roro_request_id always;',
    // A service worker allowed to control `/` would take over the dashboard's page.
    'proxy_hide_header Service-Worker-Allowed;',
  ];
  return [
    ...(byPath ? path : []),
    // No cookie tossing: a project (by path, or from its host with Domain=<domain>) may not set a
    // cookie that the dashboard's API would read (nginx-lua.ts).
    'header_filter_by_lua_block { roro.drop_platform_cookies() }',
  ];
}
