import fs from 'node:fs';
import path from 'node:path';
import type { PlatformEnv } from '../core/config.js';
import { createLogger } from '../core/logger.js';
import { refreshDashboard } from '../gateway/dashboard-refresh.js';
import type { Gateway } from '../gateway/gateway.js';
import type { Route } from '../gateway/nginx-config.js';
import { dashboardDir, platformGateway } from '../gateway/platform-gateway.js';
import { redactSecretQueries } from '../gateway/log-redaction.js';
import type { Component } from './component.js';

/** The gateway as a supervised component: prepared with the routes the database says are serving. */
export function gatewayComponent(
  env: PlatformEnv,
  loadRoutes: () => Promise<Route[]> = async () => [],
): Component {
  let gateway: Gateway | undefined;
  let refreshing = false;
  return {
    name: 'gateway',
    url: `${env.gatewayUrl}/`,
    port: env.ports.gatewayHttps,
    stdoutLog: 'gateway-access',
    // nginx's error log quotes request lines, upstream URIs and referrers whole, a notebook's ?token= included.
    redact: redactSecretQueries,
    prepare: async () => {
      gateway = await platformGateway(env);
      await gateway.prepare(await loadRoutes());
      // Served with a dashboard: a later `npm run build` is picked up without a restart.
      const dir = dashboardDir(env);
      if (!refreshing && fs.existsSync(path.join(dir, 'index.html'))) {
        refreshing = true;
        const logger = createLogger('supervisor');
        refreshDashboard(dir, (err) => logger.warn({ err }, 'the new dashboard build was not installed'));
      }
    },
    command: () => {
      if (!gateway) throw new Error('gateway not prepared');
      return gateway.command();
    },
    ready: async () => Boolean(await gateway?.ready()),
    readyTimeoutMs: 30_000,
  };
}
