import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import tls from 'node:tls';
import { setTimeout as sleep } from 'node:timers/promises';
import { api, newUser, testEnv, unique } from '../helpers/platform.js';
import { caCert, deployAndWait, gatewayRequest, projectCopy } from '../helpers/deploy.js';

const SLOW_CLIENTS = 50;
const NORMAL_REQUESTS = 20;
/** What a normal request may take while the attack runs: the service's usual latency plus slack. */
const NORMAL_LATENCY_MS = 3000;

/**
 * One slow-body client: announces a 1 MB JSON body, sends its headers and then one byte per `drip()`.
 * Resolves once the headers are written.
 */
function slowClient(pathname: string): Promise<{ socket: tls.TLSSocket; closed: () => boolean }> {
  const env = testEnv();
  return new Promise((resolve, reject) => {
    let closed = false;
    const socket = tls.connect({
      host: '127.0.0.1',
      port: env.ports.gatewayHttps,
      servername: env.domain,
      ca: caCert(),
    });
    socket.on('close', () => (closed = true));
    socket.on('data', () => undefined); // an early answer (408, 413, 429) is read and dropped
    socket.once('error', reject);
    socket.once('secureConnect', () => {
      const head = [
        `POST ${pathname} HTTP/1.1`,
        `Host: ${env.domain}`,
        'Content-Type: application/json',
        'Content-Length: 1000000',
        '',
        '{',
      ].join('\r\n');
      socket.write(head, () => {
        socket.removeListener('error', reject);
        socket.on('error', () => undefined); // the server may close it at the end
        resolve({ socket, closed: () => closed });
      });
    });
  });
}

test(
  `${SLOW_CLIENTS} slow-body clients leave a function service answering others at its normal latency`,
  { timeout: 300_000 },
  async (t) => {
    const user = await newUser();
    const project = unique('slow');
    const created = await api('POST', '/v1/projects', { token: user.token, body: { name: project } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const dir = projectCopy('hello', project);
    const clients: Awaited<ReturnType<typeof slowClient>>[] = [];
    let drip: NodeJS.Timeout | undefined;
    try {
      const deployed = await deployAndWait(user.token, project, dir);
      assert.equal(deployed.final.kind, 'done', JSON.stringify(deployed.events.slice(-3)));
      assert.equal((await gatewayRequest(`/${project}/hello`, { body: { name: 'x' } })).status, 200);

      for (let i = 0; i < SLOW_CLIENTS; i++) clients.push(await slowClient(`/${project}/hello`));
      drip = setInterval(() => {
        for (const c of clients) if (!c.closed()) c.socket.write(' ');
      }, 1000);
      await sleep(2000); // two drips: every slow request has reached whatever will hold it

      const slow: string[] = [];
      let slowest = 0;
      for (let i = 0; i < NORMAL_REQUESTS; i++) {
        const pathname = i % 2 ? `/${project}/_health` : `/${project}/hello`;
        const started = Date.now();
        const r = await gatewayRequest(pathname, i % 2 ? {} : { body: { name: `n${i}` } }).catch(
          (err: Error) => ({ status: 0, body: err.message }),
        );
        const ms = Date.now() - started;
        slowest = Math.max(slowest, ms);
        if (r.status !== 200 || ms > NORMAL_LATENCY_MS) slow.push(`${pathname}: ${r.status} after ${ms} ms`);
        await sleep(250);
      }
      t.diagnostic(`slowest of ${NORMAL_REQUESTS} requests during the attack: ${slowest} ms`);
      assert.deepEqual(slow, [], `requests that failed or were slow during the attack`);
      // The slow clients were held open by the gateway, not refused: the attack really ran.
      assert.equal(clients.filter((c) => c.closed()).length, 0, 'slow clients were disconnected');
    } finally {
      clearInterval(drip);
      for (const c of clients) c.socket.destroy();
      fs.rmSync(dir, { recursive: true, force: true });
      await api('DELETE', `/v1/projects/${project}`, { token: user.token });
    }
  },
);
