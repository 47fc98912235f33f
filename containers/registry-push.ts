import type Docker from 'dockerode';
import type { Readable } from 'node:stream';
import { RoroError } from '../core/errors.js';

/**
 * Pushing an image to the cluster's registry from the manager's engine, and the reference by digest
 * every node then pulls: `<registry>/<repository>@sha256:<hex>`. A tag can be moved; a digest names
 * exactly the bytes that were pushed.
 */

export interface RegistryLogin {
  /** host:port, as the engines reach the registry. */
  address: string;
  user: string;
  password: string;
}

export interface PushEvent {
  status?: string;
  error?: string;
  errorDetail?: { message?: string };
  aux?: { Tag?: string; Digest?: string; Size?: number };
}

/** The login as Docker's API takes it (X-Registry-Auth): for a push, a pull, or a Swarm service's nodes. */
export function registryAuth(login: RegistryLogin) {
  return { username: login.user, password: login.password, serveraddress: login.address };
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;

/**
 * The digest the engine reports at the end of a push: its `aux` event, else the status line
 * "<tag>: digest: sha256:... size: N". Undefined when there is none (the push did not finish).
 */
export function pushDigest(events: readonly PushEvent[]): string | undefined {
  for (const e of [...events].reverse()) {
    const aux = e.aux?.Digest;
    if (aux && DIGEST.test(aux)) return aux;
    const m = /(?:^|\s)digest: (sha256:[0-9a-f]{64})(?:\s|$)/.exec(e.status ?? '');
    if (m) return m[1];
  }
  return undefined;
}

/** The engine's error message, when one of the events carries one. */
export function pushError(events: readonly PushEvent[]): string | undefined {
  const failed = events.find((e) => e.error || e.errorDetail);
  return failed ? (failed.errorDetail?.message ?? failed.error ?? 'unknown error').trim() : undefined;
}

/**
 * True when a pull failed because the registry does not have the image (an answer), as opposed to
 * a registry that could not be reached or did not answer in time (no answer: try again later).
 */
export function pullNotFound(err: { statusCode?: number; message?: string } | string): boolean {
  if (typeof err !== 'string' && err.statusCode === 404) return true;
  const message = typeof err === 'string' ? err : (err.message ?? '');
  return /manifest unknown|manifest for .* not found|not found: manifest|repository does not exist|name unknown/i.test(
    message,
  );
}

/** `<address>/<repository>@<digest>`, the reference a release records and every node pulls. */
export function digestReference(address: string, repository: string, digest: string): string {
  if (!DIGEST.test(digest)) throw new Error(`not a sha256 digest: ${JSON.stringify(digest)}`);
  return `${address}/${repository}@${digest}`;
}

/** The local name `repo:tag` split in two (a port in the name's host part is not a tag). */
export function splitTag(ref: string): { repository: string; tag: string } {
  const at = ref.lastIndexOf(':');
  if (at <= ref.lastIndexOf('/') || at < 0) return { repository: ref, tag: 'latest' };
  return { repository: ref.slice(0, at), tag: ref.slice(at + 1) };
}

/** A failed push as an error that names the fix: registry down, certificate not trusted, login refused. */
export function pushFailure(address: string, image: string, message: string, cause?: unknown): RoroError {
  const what = `Pushing ${image} to the registry at ${address} failed: ${message}`;
  if (/connection refused|no route to host|i\/o timeout|no such host|connection reset|EOF$/i.test(message))
    return new RoroError(what, {
      status: 503,
      code: 'registry_unreachable',
      hint: `The registry is not running or not reachable from the engine: check \`roro server status\` (its registry row), and that ${address} is an address of this host the engine reaches (RORO_REGISTRY_ADDR).`,
      cause,
    });
  if (/x509|certificate|tls:/i.test(message))
    return new RoroError(what, {
      status: 503,
      code: 'registry_untrusted',
      hint: `The engine does not trust the registry's certificate: put roro's registry CA (RORO_HOME/tls/registry-ca.crt) at /etc/docker/certs.d/${address}/ca.crt on this host, which \`roro server up --cluster\` does when it may write there.`,
      cause,
    });
  if (/unauthorized|authentication required|no basic auth|denied|401/i.test(message))
    return new RoroError(what, {
      status: 503,
      code: 'registry_login_refused',
      hint: "The registry refused the nodes' credentials: restart the platform (`roro server down && roro server up`) so the registry reads its password file again.",
      cause,
    });
  return new RoroError(what, {
    status: 503,
    code: 'registry_push_failed',
    hint: "See the registry's log (`roro server logs registry`) and the Docker engine's log.",
    cause,
  });
}

function follow(docker: Docker, stream: Readable): Promise<PushEvent[]> {
  return new Promise((resolve, reject) => {
    docker.modem.followProgress(stream, (err: Error | null, output: PushEvent[]) =>
      err ? reject(err) : resolve(output ?? []),
    );
  });
}

/**
 * Tags the local image `<address>/<repository>:<tag>`, pushes it with the registry login, and
 * returns its reference by digest. Pushing an image the registry already holds only checks its
 * layers, so calling this again is cheap.
 */
export async function pushImage(
  docker: Docker,
  localRef: string,
  target: { repository: string; tag: string },
  login: RegistryLogin,
): Promise<string> {
  const remote = `${login.address}/${target.repository}`;
  await docker.getImage(localRef).tag({ repo: remote, tag: target.tag });
  const auth = registryAuth(login);
  let events: PushEvent[];
  try {
    const stream = (await docker
      .getImage(remote)
      .push({ tag: target.tag, authconfig: auth } as object)) as unknown as Readable;
    events = await follow(docker, stream);
  } catch (err) {
    throw pushFailure(login.address, localRef, (err as Error).message, err);
  }
  const failed = pushError(events);
  if (failed) throw pushFailure(login.address, localRef, failed);
  const digest = pushDigest(events);
  if (!digest)
    throw pushFailure(login.address, localRef, 'the engine reported no digest at the end of the push');
  return digestReference(login.address, target.repository, digest);
}
