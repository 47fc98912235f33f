import { installDashboard } from './dashboard-files.js';

/** How often the supervisor looks for a new dashboard build: one small file read when nothing changed. */
export const DASHBOARD_REFRESH_MS = 3000;

/**
 * Copies each new dashboard build (`npm run build`) into the directory nginx serves from, so a
 * rebuilt dashboard is served without restarting the platform: nginx reads the files per request
 * and the hashed asset names never collide. It cannot add the dashboard to a gateway started
 * without one (nginx's configuration has no locations for it then): that takes `roro server up`.
 */
export function refreshDashboard(
  dest: string,
  onError: (err: unknown) => void,
  opts: { everyMs?: number; src?: string } = {},
): () => void {
  const timer = setInterval(() => {
    try {
      installDashboard(dest, ...(opts.src ? [opts.src] : []));
    } catch (err) {
      onError(err);
    }
  }, opts.everyMs ?? DASHBOARD_REFRESH_MS);
  timer.unref();
  return () => clearInterval(timer);
}
