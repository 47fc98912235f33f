import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiClient } from '../../cli/client.js';
import { followDeploy } from '../../cli/follow.js';
import { Backoff } from '../../cli/retry.js';

const events = [
  { seq: 1, kind: 'phase', message: 'Building docker image' },
  { seq: 2, kind: 'log', message: 'Step 1/2' },
  { seq: 3, kind: 'log', message: 'Step 2/2' },
  { seq: 4, kind: 'phase_done', message: 'Building docker image' },
  { seq: 5, kind: 'phase', message: 'Starting one service' },
  { seq: 6, kind: 'done', message: '', data: { version: 3, urls: { default: 'https://x/p/' } } },
].map((e) => JSON.stringify({ at: '2026-01-01T00:00:00Z', ...e }));

/**
 * An API that misbehaves the ways a platform blip makes it: each connection of the event stream
 * gets the next behaviour; every answer starts after the `after` the client asked for.
 */
function blippingApi(behaviours: ((res: http.ServerResponse, after: number) => void)[]) {
  const asked: number[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (!url.pathname.endsWith('/events')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ deploy: { id: 'd1', status: 'running' } }));
      return;
    }
    const after = Number(url.searchParams.get('after'));
    asked.push(after);
    const next = behaviours.shift();
    if (!next) {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.end(events.slice(after).join('\n') + '\n');
      return;
    }
    next(res, after);
  });
  return { server, asked };
}

const ndjson = (res: http.ServerResponse) => res.writeHead(200, { 'content-type': 'application/x-ndjson' });

test('following a deploy rides out a cut stream, 5xx answers and an error line: each line once, the real outcome', async () => {
  const { server, asked } = blippingApi([
    // Two events, then the connection drops mid-line (an API killed while streaming).
    (res, after) => {
      ndjson(res);
      res.write(events.slice(after, after + 2).join('\n') + '\n' + events[after + 2]!.slice(0, 10));
      setTimeout(() => res.socket?.destroy(), 20);
    },
    // The API is up but its database is not.
    (res) => {
      res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '0' });
      res.end(
        JSON.stringify({
          error: { code: 'unavailable', message: 'The database (PostgreSQL) is unreachable.' },
        }),
      );
    },
    (res) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ error: { code: 'internal', message: 'Internal server error; see the API log.' } }),
      );
    },
    // One more event, then the server ends the stream with the error that stopped it.
    (res, after) => {
      ndjson(res);
      res.end(`${events[after]}\n${JSON.stringify({ error: { code: 'unavailable', message: 'gone' } })}\n`);
    },
  ]);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const out: string[] = [];
  const err: string[] = [];
  try {
    const outcome = await followDeploy(new ApiClient(`http://127.0.0.1:${port}`, 'token'), 'p', 'd1', {
      final: (d) => `Deployed version ${d.version} of p project.`,
      sink: { stdout: (t) => out.push(t), stderr: (t) => err.push(t) },
      backoff: new Backoff({ baseMs: 1, maxMs: 5, budgetMs: 10_000 }),
    });
    assert.equal(outcome.status, 'succeeded');
    assert.deepEqual(asked, [0, 2, 2, 2, 3]);
    assert.equal(out.join(''), '  default: https://x/p/\nDeployed version 3 of p project.\n');
    const text = err.join('');
    for (const step of ['Step 1/2', 'Step 2/2', 'Building docker image... done.', 'Starting one service'])
      assert.equal(text.split(step).length - 1, 1, `${step} once in:\n${text}`);
    assert.match(text, /The roro API did not answer/);
  } finally {
    server.close();
  }
});

test('following a deploy gives up with the deploy id once the API stays away past the budget', async () => {
  const { server } = blippingApi(
    Array.from({ length: 1000 }, () => (res: http.ServerResponse) => {
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'unavailable', message: 'Temporal is unreachable.' } }));
    }),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  try {
    await assert.rejects(
      followDeploy(new ApiClient(`http://127.0.0.1:${port}`, 'token'), 'p', 'd1', {
        final: () => '',
        sink: { stdout: () => undefined, stderr: () => undefined },
        backoff: new Backoff({ baseMs: 1, maxMs: 5, budgetMs: 200 }),
      }),
      /Lost the connection to the roro API while following d1/,
    );
  } finally {
    server.close();
  }
});
