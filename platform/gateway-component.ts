import type { PlatformEnv } from '../core/config.js';
import type { Gateway } from '../gateway/gateway.js';
import type { Route } from '../gateway/nginx-config.js';
import { platformGateway } from '../gateway/platform-gateway.js';
import { redactSecretQueries } from '../gateway/log-redaction.js';
import type { Component } from './component.js';

/** The gateway as a supervised component: prepared with the routes the database says are serving. */
export function gatewayComponent(
  env: PlatformEnv,
  loadRoutes: () => Promise<Route[]> = async () => [],
): Component {
  let gateway: Gateway | undefined;
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
    },
    command: () => {
      if (!gateway) throw new Error('gateway not prepared');
      return gateway.command();
    },
    ready: async () => Boolean(await gateway?.ready()),
    readyTimeoutMs: 30_000,
  };
}
