import type Docker from 'dockerode';
import { RoroError } from '../core/errors.js';
import type { NetworkSpec } from './driver.js';
import { hostRoutes, overlapsRoute } from './host-routes.js';

function statusCode(err: unknown): number | undefined {
  return typeof err === 'object' && err !== null && 'statusCode' in err ? Number(err.statusCode) : undefined;
}

/** Docker's answer when a subnet is taken by another network (this platform's or anyone's). */
const OVERLAP = /overlaps/i;

/** Creations under way in this process: Docker's own duplicate check is best effort. */
const creating = new Map<string, Promise<void>>();

/**
 * Creates the network unless it exists. Subnets are chosen by us, not by Docker: its default pools
 * hold about 30 networks, too few for one per project. A subnet taken by another network is
 * skipped; concurrent starts of one project wait for the same creation. A bridge joins containers
 * of this engine; an overlay (cluster mode) joins Swarm tasks on every node, and no other network.
 */
export async function ensureNetwork(
  docker: Docker,
  spec: NetworkSpec,
  kind: 'bridge' | 'overlay' = 'bridge',
): Promise<void> {
  const pending = creating.get(spec.name);
  if (pending) return pending;
  const done = create(docker, spec, kind).finally(() => creating.delete(spec.name));
  creating.set(spec.name, done);
  return done;
}

async function create(docker: Docker, spec: NetworkSpec, kind: 'bridge' | 'overlay'): Promise<void> {
  const driver = await existing(docker, spec.name);
  if (driver === kind) return;
  if (driver !== undefined) {
    // Made before the platform moved into (or out of) cluster mode: its containers run outside the
    // driver in use, and Swarm tasks cannot join a bridge (nor containers an overlay of a swarm).
    const project = spec.labels['roro.project'] ?? spec.name;
    throw new RoroError(
      `Network ${spec.name} is a ${driver} network, made before the platform ${kind === 'overlay' ? 'entered' : 'left'} cluster mode; this mode needs a ${kind} network.`,
      {
        code: 'network_mode_changed',
        status: 409,
        hint: `Remove the project's containers from before and the network (docker rm -f $(docker ps -aq --filter label=roro.project=${project}); docker network rm ${spec.name}), then deploy again.`,
      },
    );
  }
  const routes = await hostRoutes();
  for (const subnet of spec.subnets) {
    if (overlapsRoute(subnet, routes)) continue;
    try {
      await docker.createNetwork({
        Name: spec.name,
        Driver: kind,
        CheckDuplicate: true,
        Labels: { 'roro.managed': 'true', ...spec.labels },
        IPAM: { Driver: 'default', Config: [{ Subnet: subnet }] },
        Options: kind === 'bridge' ? { 'com.docker.network.bridge.enable_icc': 'true' } : {},
      });
      return;
    } catch (err) {
      if (statusCode(err) === 409) return;
      if (OVERLAP.test(String((err as Error).message))) continue;
      throw err;
    }
  }
  throw new Error(
    `No free subnet for network ${spec.name}: the ${spec.subnets.length} candidates are all taken by other Docker networks or the host's routes. Remove unused networks (docker network ls).`,
  );
}

/** The driver of the network of that name, or undefined when there is none. */
async function existing(docker: Docker, name: string): Promise<string | undefined> {
  try {
    const info = (await docker.getNetwork(name).inspect()) as { Driver?: string };
    return info.Driver ?? 'bridge';
  } catch (err) {
    if (statusCode(err) === 404) return undefined;
    throw err;
  }
}

export async function removeNetworks(docker: Docker, labels: Record<string, string>): Promise<number> {
  const label = Object.entries(labels).map(([k, v]) => `${k}=${v}`);
  const found = await docker.listNetworks({ filters: { label } });
  for (const n of found) {
    try {
      await docker.getNetwork(n.Id).remove();
    } catch (err) {
      if (statusCode(err) !== 404) throw err;
    }
  }
  return found.length;
}
