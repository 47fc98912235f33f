import fs from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import type { RequestListener } from 'node:http';
import { apiSocketDir, apiSocketPath } from '../core/config.js';

/**
 * Serves the API on a Unix socket too, so containers on Docker's bridge reach it without the API
 * leaving 127.0.0.1. The socket is 0666 because uid 1000 in containers must connect; a request
 * still needs a token, and the directory is 0755 so nobody but the API can replace the socket.
 */
export async function listenOnSocket(home: string, app: RequestListener): Promise<http.Server | undefined> {
  const dir = apiSocketDir(home);
  const file = apiSocketPath(home);
  await fs.mkdir(dir, { recursive: true, mode: 0o755 });
  await fs.chmod(dir, 0o755);
  // A second API process on the same host leaves the socket to the one serving it: taking it over
  // would cut the containers off when this one stops.
  if (await socketAnswers(file)) return undefined;
  await fs.rm(file, { force: true }); // a socket left by an API that died
  const server = http.createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(file, () => resolve());
  });
  await fs.chmod(file, 0o666);
  return server;
}

/** True when a process accepts connections on the Unix socket. */
function socketAnswers(file: string): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect(file);
    sock.setTimeout(1000, () => {
      sock.destroy();
      resolve(false);
    });
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}
