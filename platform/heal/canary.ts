import type { Pool } from 'pg';
import type { ContainerDriver } from '../../containers/driver.js';
import { probe } from '../../containers/probe.js';
import { upstreamOf } from '../../core/upstream.js';
import { platformTag } from '../../domain/project-network.js';
import { inspectOrGone } from '../../containers/inspect-or-gone.js';
import { PLATFORM_PROJECT } from '../../core/names.js';

/** The canary's route: `/roro--canary/` through the gateway, as project `roro`, service `canary`. */
export const CANARY_SERVICE = 'canary';
export const CANARY_PATH = `/${PLATFORM_PROJECT}--${CANARY_SERVICE}/`;
/** What the canary answers, so a status check knows it reached the canary and not something else. */
export const CANARY_REPLY = 'roro canary ok';
/** Built by the first runtime build; the canary needs nothing but its Python. */
const CANARY_IMAGE = 'roro/base:bookworm';
const PORT = 8080;

const SERVER = [
  'import http.server as h',
  'class H(h.BaseHTTPRequestHandler):',
  '  def do_GET(s):',
  `    b = b"${CANARY_REPLY}"`,
  '    s.send_response(200); s.send_header("content-length", str(len(b))); s.end_headers(); s.wfile.write(b)',
  '  def log_message(s, *a): pass',
  `h.ThreadingHTTPServer(("0.0.0.0", ${PORT}), H).serve_forever()`,
].join('\n');

/**
 * The platform's own smallest service: a container answering one line, routed through the gateway
 * like any service, so `roro server status` can prove the whole path (gateway, route table, a
 * container's published port) with nothing deployed. The healer keeps it running and its route
 * on its port; until the base image exists (the first deploy builds it) there is no canary.
 */
export class Canary {
  constructor(
    private readonly driver: ContainerDriver,
    private readonly db: Pool,
    private readonly home: string,
  ) {}

  private get name(): string {
    return `roro-canary-${platformTag(this.home)}`;
  }

  /** What the last keep() found: running and answering, not startable yet (no image), or down. */
  state: 'ready' | 'no-image' | 'down' = 'down';

  /** Makes sure the canary runs and its route points at it; true when the route changed. */
  async keep(): Promise<boolean> {
    let st = await inspectOrGone(this.driver, this.name);
    let started = false;
    if (st && st.state !== 'running' && st.state !== 'restarting') {
      await this.driver.start(st.id).catch(() => undefined);
      st = await inspectOrGone(this.driver, this.name);
      started = true;
    }
    if (!st) {
      const created = await this.driver
        .run({
          image: CANARY_IMAGE,
          name: this.name,
          cmd: ['python3', '-c', SERVER],
          labels: { 'roro.managed': 'true', 'roro.kind': 'canary', 'roro.platform': platformTag(this.home) },
          port: PORT,
          limits: { cpus: 0.1, memoryBytes: 64 * 1024 * 1024 },
          user: '65534:65534',
          restart: 'unless-stopped',
        })
        .catch((err: { statusCode?: number }) => {
          // No base image yet: nothing to run the canary from until the first build.
          if (err.statusCode === 404) return undefined;
          throw err;
        });
      if (!created) {
        this.state = 'no-image';
        return this.setRoute([]);
      }
      st = await inspectOrGone(this.driver, this.name);
      started = true;
    }
    // A canary that was just started gets a few seconds to listen before it counts as down.
    let ready = false;
    for (let i = 0; i < (started ? 20 : 1) && !ready; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 250));
      ready =
        st?.state === 'running' &&
        st.hostPort !== undefined &&
        (await probe(st.hostPort, '/', { host: st.hostAddress }));
    }
    this.state = ready ? 'ready' : 'down';
    return this.setRoute(
      ready ? [upstreamOf({ hostPort: st!.hostPort!, hostAddress: st!.hostAddress })] : [],
    );
  }

  /**
   * Removes the canary and empties its route: `roro server down` leaves no container of the
   * platform's own behind (user services stay, to be served again at the next `up`).
   */
  async remove(): Promise<void> {
    await this.driver.remove(this.name);
    this.state = 'down';
    await this.setRoute([]);
  }

  private async setRoute(upstreams: string[]): Promise<boolean> {
    const res = await this.db.query(
      `INSERT INTO platform_routes (service, upstreams) VALUES ($1, $2)
       ON CONFLICT (service) DO UPDATE SET upstreams = $2, updated_at = now()
       WHERE platform_routes.upstreams IS DISTINCT FROM $2`,
      [CANARY_SERVICE, upstreams],
    );
    return Boolean(res.rowCount);
  }
}
