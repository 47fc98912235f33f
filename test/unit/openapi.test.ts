import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { Pool } from 'pg';
import { z } from 'zod';
import { createApp } from '../../api/app.js';
import { errorHandler } from '../../api/errors.js';
import { intBody } from '../../api/input.js';
import { route } from '../../api/route.js';
import { parsePlatformEnv } from '../../core/config.js';

/** Runs an app on a free loopback port for one callback; no database is reached by these requests. */
async function withServer<T>(app: express.Express, fn: (url: string) => Promise<T>): Promise<T> {
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    return await fn(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  } finally {
    server.close();
  }
}

// A pool that is never queried: the document needs no database.
const noDb = { options: {} } as unknown as Pool;
const app = () =>
  createApp({ env: parsePlatformEnv({ RORO_HOME: '/nonexistent' }), db: noDb, log: () => {} });

/** Every route of the app's routers, as `METHOD /path-pattern` counts (Express 5 keeps them in router stacks). */
function routeCount(stack: unknown[]): number {
  let n = 0;
  for (const layer of stack as { route?: { methods: object }; handle?: { stack?: unknown[] } }[]) {
    if (layer.route) n += Object.keys(layer.route.methods).length;
    else if (layer.handle?.stack) n += routeCount(layer.handle.stack);
  }
  return n;
}

test('the OpenAPI document is served without a token and documents every route the app has', async () => {
  const a = app();
  const doc = await withServer(a, async (url) => {
    const res = await fetch(`${url}/v1/openapi.json`);
    assert.equal(res.status, 200);
    return (await res.json()) as {
      openapi: string;
      paths: Record<string, Record<string, { responses: Record<string, unknown>; requestBody?: any }>>;
    };
  });
  assert.equal(doc.openapi, '3.1.0');
  const operations = Object.values(doc.paths).flatMap((p) => Object.values(p));
  const routes = routeCount((a as unknown as { router: { stack: unknown[] } }).router.stack);
  assert.equal(operations.length, routes, 'a route was registered without route(), so it is not documented');
  for (const op of operations) assert.ok(op.responses.default, 'every operation documents its error shape');
  // Non-JSON routes say what they take and send.
  const deploys = doc.paths['/v1/projects/{name}/deploys']!.post!;
  assert.ok(deploys.requestBody.content['application/gzip']);
  const events = doc.paths['/v1/projects/{name}/deploys/{id}/events']!.get!;
  assert.ok((events.responses['200'] as any).content['application/x-ndjson']);
  const blob = doc.paths['/v1/projects/{name}/models/{repo}/versions/{ref}/blob']!.get!;
  assert.ok((blob.responses['200'] as any).content['application/octet-stream']);
});

test("a route's schemas refuse a request with a 400 naming the field, before the handler runs", async () => {
  const r = express.Router();
  let ran = 0;
  route(
    r,
    {
      method: 'post',
      path: '/things/:id',
      summary: 'test',
      access: 'public',
      params: z.object({ id: z.string().regex(/^\d+$/) }),
      body: z.object({ command: z.array(z.string()).min(1), version: intBody({ min: 1 }).optional() }),
      responses: { 200: { description: 'ok' } },
    },
    (_req, res, { body }) => {
      ran++;
      res.json(body);
    },
  );
  const a = express();
  a.use(express.json());
  a.use(r);
  a.use(errorHandler(() => {}));
  const cases: [string, unknown, RegExp][] = [
    ['/things/1', {}, /^body\.command is required/],
    ['/things/1', { command: ['python', 3] }, /^body\.command\[1\] must be a string, not 3/],
    ['/things/1', { command: [] }, /^body\.command must be at least 1 items/],
    [
      '/things/1',
      { command: ['x'], version: true },
      /^body\.version must be a whole number from 1 to \d+, not true/,
    ],
    ['/things/x', { command: ['x'] }, /^path\.id must match/],
  ];
  await withServer(a, async (url) => {
    for (const [at, body, message] of cases) {
      const res = await fetch(`${url}${at}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const out = (await res.json()) as { error: { code: string; message: string; hint: string } };
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.match(out.error.message, message);
      assert.ok(out.error.hint);
    }
    const ok = await fetch(`${url}/things/1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ command: ['x'], version: 2 }),
    });
    assert.deepEqual(await ok.json(), { command: ['x'], version: 2 });
  });
  assert.equal(ran, 1);
});
