import fs from 'node:fs/promises';
import http from 'node:http';
import type { RequestListener } from 'node:http';
import { apiSocketDir, apiSocketPath } from '../core/config.js';

/**
 * Serves the API on a Unix socket too, so containers on Docker's bridge reach it without the API
 * leaving 127.0.0.1. The socket is 0666 because uid 1000 in containers must connect; a request
 * still needs a token, and the directory is 0755 so nobody but the API can replace the socket.
 */
export async function listenOnSocket(home: string, app: RequestListener): Promise<http.Server> {
  const dir = apiSocketDir(home);
  const file = apiSocketPath(home);
  await fs.mkdir(dir, { recursive: true, mode: 0o755 });
  await fs.chmod(dir, 0o755);
  await fs.rm(file, { force: true }); // a socket left by an API that died
  const server = http.createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(file, () => resolve());
  });
  await fs.chmod(file, 0o666);
  return server;
}
