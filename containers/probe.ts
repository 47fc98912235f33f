import http from 'node:http';
import { LOOPBACK } from '../core/upstream.js';

interface ProbeOptions {
  /** Sent with the request, e.g. the token a notebook's status API wants. */
  headers?: Record<string, string>;
  /** Which HTTP statuses mean ready; by default any answer, or below 400 when a path is given. */
  ready?: (status: number) => boolean;
  /** The address the port is published at (a Swarm node's); this host's loopback by default. */
  host?: string;
}

/**
 * The one readiness probe of a container's published port: one HTTP GET on loopback (or at the
 * address of the node that publishes it). A bare TCP connect would not do: Docker's port proxy
 * accepts on the host port before the process inside listens. Services sit behind an HTTP gateway, so an HTTP answer is what "the port answers" means.
 */
export function probe(port: number, path: string | undefined, opts: ProbeOptions = {}): Promise<boolean> {
  const ready = opts.ready ?? ((status: number) => (path ? status < 400 : true));
  return new Promise((resolve) => {
    const req = http.get(
      {
        host: opts.host ?? LOOPBACK,
        port,
        path: path ?? '/',
        headers: opts.headers,
        timeout: 2000,
        agent: false,
      },
      (res) => {
        res.resume();
        resolve(ready(res.statusCode ?? 500));
      },
    );
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
  });
}
