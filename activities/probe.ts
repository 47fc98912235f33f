import http from 'node:http';

/**
 * One HTTP GET on loopback; any HTTP answer counts unless a health path demands 2xx. A bare TCP
 * connect would not do: Docker's port proxy accepts on the host port before the process inside
 * listens. Services sit behind an HTTP gateway, so an HTTP answer is what "the port answers" means.
 */
export function probe(port: number, path: string | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(
      { host: '127.0.0.1', port, path: path ?? '/', timeout: 2000, agent: false },
      (res) => {
        res.resume();
        resolve(path ? (res.statusCode ?? 500) < 400 : true);
      },
    );
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
  });
}
