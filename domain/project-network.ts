import crypto from 'node:crypto';
import type { NetworkSpec } from '../containers/driver.js';

/** Where project subnets come from: 10.200.0.0/14, cut into 1,024 /24s (253 containers each). */
const POOL_BASE = (10 << 24) | (200 << 16);
const POOL_SUBNETS = 1024;

/** Tells apart the platforms that share one Docker engine (each has its own RORO_HOME). */
export function platformTag(home: string): string {
  return crypto.createHash('sha256').update(home).digest('hex').slice(0, 10);
}

/**
 * The one network of a project's containers (services, jobs, notebooks): they reach each other
 * and the internet, and nothing of another project, of another platform on the same engine, or
 * of the default bridge. The gateway reaches services through their ports published on 127.0.0.1,
 * as before. Named by the platform and the project's id, so a project deleted and created again
 * under the same name gets a new network.
 */
export function projectNetwork(home: string, project: { id: string; name: string }): NetworkSpec {
  const tag = platformTag(home);
  const start = crypto.createHash('sha256').update(`${tag}:${project.id}`).digest().readUInt32BE(0);
  const subnets: string[] = [];
  for (let i = 0; i < POOL_SUBNETS; i++) {
    const n = POOL_BASE + ((start + i) % POOL_SUBNETS) * 256;
    subnets.push(`${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.0/24`);
  }
  return {
    name: `roro-${tag}-p${project.id}`,
    labels: { 'roro.project': project.name, 'roro.platform': tag },
    subnets,
  };
}

/** The labels that find every network of a project of this platform, for its removal. */
export function projectNetworkLabels(home: string, project: string): Record<string, string> {
  return { 'roro.project': project, 'roro.platform': platformTag(home) };
}
