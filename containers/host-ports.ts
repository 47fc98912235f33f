import crypto from 'node:crypto';
import type Docker from 'dockerode';

/**
 * Host ports of roro's containers: chosen by roro and written into the container, never left to
 * Docker. A port Docker picks is picked again at every start, so after an engine restart the
 * containers come back on each other's old ports, and a route written before the restart sends one
 * project's requests to another project's container until it is corrected. A fixed port comes back
 * with its own container, or the container does not start at all.
 *
 * The range lies below the kernel's ephemeral ports (32768 and up), where Docker's own choices and
 * outgoing connections live; a random pick makes reuse of a just-freed port unlikely too.
 */
export const HOST_PORT_MIN = 20000;
export const HOST_PORT_MAX = 31999;

/** The label that records a container's chosen port, so stopped containers keep their claim. */
export const HOST_PORT_LABEL = 'roro.host-port';

/** A free port of the range, at random; undefined when every port is taken. */
export function pickHostPort(taken: ReadonlySet<number>, random = crypto.randomInt): number | undefined {
  const size = HOST_PORT_MAX - HOST_PORT_MIN + 1;
  const start = random(size);
  for (let i = 0; i < size; i++) {
    const port = HOST_PORT_MIN + ((start + i) % size);
    if (!taken.has(port)) return port;
  }
  return undefined;
}

/** Ports held by any container of the engine: published by running ones, claimed by stopped ones of ours. */
export async function takenHostPorts(docker: Docker): Promise<Set<number>> {
  const taken = new Set<number>();
  for (const c of await docker.listContainers({ all: true })) {
    for (const p of c.Ports ?? []) if (p.PublicPort) taken.add(p.PublicPort);
    const claimed = Number(c.Labels?.[HOST_PORT_LABEL]);
    if (Number.isInteger(claimed) && claimed > 0) taken.add(claimed);
  }
  return taken;
}

/** Docker's refusal when the port is held outside its knowledge or by a racing start. */
export function portInUse(err: unknown): boolean {
  return /port is already allocated|address already in use/i.test(String((err as Error)?.message ?? err));
}
