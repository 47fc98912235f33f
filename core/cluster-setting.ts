import fs from 'node:fs';
import path from 'node:path';
import { homePaths } from './config.js';

/**
 * Cluster mode (Docker Swarm) is remembered in RORO_HOME once turned on (`roro server up --cluster`
 * or RORO_CLUSTER=1), so later starts, the API and the workers all see it without the flag.
 */
export function clusterSettingPath(home: string): string {
  return path.join(home, 'cluster.json');
}

export interface ClusterSetting {
  enabled: boolean;
  /** When it was turned on. */
  since: string;
}

export function readClusterSetting(home: string): ClusterSetting | undefined {
  try {
    const raw = JSON.parse(fs.readFileSync(clusterSettingPath(home), 'utf8')) as Partial<ClusterSetting>;
    return raw.enabled === true ? { enabled: true, since: String(raw.since ?? '') } : undefined;
  } catch {
    return undefined;
  }
}

export function rememberCluster(home: string): void {
  if (readClusterSetting(home)) return;
  fs.mkdirSync(home, { recursive: true });
  const setting: ClusterSetting = { enabled: true, since: new Date().toISOString() };
  fs.writeFileSync(clusterSettingPath(home), `${JSON.stringify(setting, null, 2)}\n`, { mode: 0o644 });
}

/** The one account the cluster's nodes pull images with. */
export const REGISTRY_USER = 'roro-node';

/** The registry's files in RORO_HOME: its configuration, data, TLS, the nodes' password and its address. */
export function registryPaths(home: string) {
  const dir = path.join(home, 'registry');
  const tls = homePaths(home).tls;
  return {
    dir,
    config: path.join(dir, 'config.yml'),
    htpasswd: path.join(dir, 'htpasswd'),
    data: path.join(dir, 'data'),
    caCert: path.join(tls, 'registry-ca.crt'),
    caKey: path.join(tls, 'registry-ca.key'),
    cert: path.join(tls, 'registry.crt'),
    key: path.join(tls, 'registry.key'),
    password: path.join(homePaths(home).secrets, 'registry-password'),
    address: path.join(dir, 'address'),
  };
}

/** The registry's address, the nodes' login and its CA, once the supervisor has made them; else undefined. */
export function readRegistryLogin(
  home: string,
): { address: string; user: string; password: string; caCert: string } | undefined {
  const p = registryPaths(home);
  try {
    const read = (f: string) => fs.readFileSync(f, 'utf8').trim();
    return {
      address: read(p.address),
      user: REGISTRY_USER,
      password: read(p.password),
      caCert: read(p.caCert),
    };
  } catch {
    return undefined;
  }
}

/** Where a Docker engine looks for the CA of a registry at host:port (Docker's own certs.d layout). */
export function engineTrustPath(address: string): string {
  return path.join('/etc/docker/certs.d', address, 'ca.crt');
}
