import { homePaths, logPath, type PlatformEnv } from '../core/config.js';
import { Gateway } from './gateway.js';
import { ensureTls } from './tls.js';
import { DEFAULT_CONNECTIONS_PER_CLIENT } from './nginx-config.js';
import { installDashboard } from './dashboard-files.js';

/** RORO_GATEWAY_CONNECTIONS_PER_CLIENT: requests one client address may have in progress at the gateway. */
export function connectionsPerClient(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.RORO_GATEWAY_CONNECTIONS_PER_CLIENT;
  if (raw === undefined || raw === '') return DEFAULT_CONNECTIONS_PER_CLIENT;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 100_000) {
    throw new Error(
      `RORO_GATEWAY_CONNECTIONS_PER_CLIENT=${raw} is invalid: set it to a whole number from 1 to 100000 (default ${DEFAULT_CONNECTIONS_PER_CLIENT}).`,
    );
  }
  return n;
}

/** The API (and its login) is served under the gateway's /api/ only when the operator asks (RORO_GATEWAY_API=1). */
export function gatewayApiOption(env: PlatformEnv): { apiUpstream?: string } {
  return env.gatewayApi ? { apiUpstream: `127.0.0.1:${env.ports.api}` } : {};
}

/** The directory nginx serves the dashboard from: beside runDir, in the traversable home, like the spool. */
export function dashboardDir(env: PlatformEnv): string {
  return `${homePaths(env.home).gateway}-web`;
}

/** The one place that knows how the platform's gateway is configured; the supervisor and the worker share it. */
export async function platformGateway(env: PlatformEnv): Promise<Gateway> {
  const p = homePaths(env.home);
  const tls = await ensureTls(p.tls, env.domain, {
    certFile: process.env.RORO_TLS_CERT || undefined,
    keyFile: process.env.RORO_TLS_KEY || undefined,
  });
  return new Gateway({
    domain: env.domain,
    httpsPort: env.ports.gatewayHttps,
    httpPort: env.ports.gatewayHttp,
    tls: { cert: tls.cert, key: tls.key },
    runDir: p.gateway,
    // Beside the private runDir, in the traversable home, so nginx workers running as nobody reach it.
    spoolDir: `${p.gateway}-spool`,
    connectionsPerClient: connectionsPerClient(),
    errorLog: logPath(env.home, 'gateway'),
    ...gatewayApiOption(env),
    // The web dashboard at / (and the API it calls under /_roro/api/), once the build has made it.
    ...(installDashboard(dashboardDir(env))
      ? { dashboard: { dir: dashboardDir(env), api: `127.0.0.1:${env.ports.api}` } }
      : {}),
    // On a single-label domain (localhost) the leaf must name each service host: no wildcard is accepted there.
    ...(tls.userSupplied ? {} : { tlsDir: p.tls }),
  });
}
