import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import express from 'express';
import pg from 'pg';
import { ServiceError } from '@temporalio/client';
import { errorHandler } from '../../api/errors.js';
import { unavailableOf } from '../../api/unavailable.js';

/** A TCP port nothing listens on (taken, then released). */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** The error node-postgres gives when the database's port refuses the connection. */
async function refusedByDatabase(port: number): Promise<unknown> {
  const pool = new pg.Pool({ host: '127.0.0.1', port, user: 'x', database: 'x', password: 'x' });
  try {
    await pool.query('SELECT 1');
  } catch (err) {
    return err;
  } finally {
    await pool.end();
  }
  throw new Error('expected the query to fail');
}

/** What @temporalio/client throws when the frontend cannot be reached: gRPC UNAVAILABLE inside a ServiceError. */
function temporalUnavailable(): Error {
  const grpc = Object.assign(new Error('14 UNAVAILABLE: No connection established'), {
    code: 14,
    details: 'No connection established',
    metadata: {},
  });
  return new ServiceError('Failed to start Workflow', { cause: grpc });
}

async function serve(app: express.Express) {
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}

test('PostgreSQL and Temporal out of reach are told apart from other errors', async () => {
  const port = await closedPort();
  const refused = await refusedByDatabase(port);
  assert.equal(unavailableOf(refused, port)?.component, 'database');
  assert.equal(unavailableOf(refused, port + 1), undefined, 'a refusal by another port is not the database');
  const starting = Object.assign(new pg.DatabaseError('the database system is starting up', 0, 'error'), {
    code: '57P03',
  });
  assert.equal(unavailableOf(starting)?.component, 'database');
  assert.equal(unavailableOf(new Error('Connection terminated unexpectedly'))?.component, 'database');
  assert.equal(unavailableOf(temporalUnavailable())?.component, 'temporal');
  const uniqueViolation = Object.assign(new pg.DatabaseError('duplicate key', 0, 'error'), { code: '23505' });
  assert.equal(unavailableOf(uniqueViolation), undefined);
  assert.equal(unavailableOf(new TypeError('x is undefined')), undefined);
});

test('the API answers 503 JSON with Retry-After naming the component, once, with no stack', async () => {
  const port = await closedPort();
  const refused = await refusedByDatabase(port);
  const lines: string[] = [];
  const app = express();
  app.get('/db', () => {
    throw refused;
  });
  app.get('/temporal', async () => {
    throw temporalUnavailable();
  });
  app.get('/bug', () => {
    throw new TypeError('x is undefined');
  });
  app.use(errorHandler((l) => lines.push(l), { databasePort: port }));
  const api = await serve(app);
  try {
    for (const [route, name] of [
      ['/db', /database \(PostgreSQL\)/],
      ['/temporal', /Temporal/],
    ] as const) {
      const res = await fetch(api.url + route);
      assert.equal(res.status, 503);
      assert.equal(res.headers.get('retry-after'), '2');
      const body = (await res.json()) as { error: { code: string; message: string; hint: string } };
      assert.equal(body.error.code, 'unavailable');
      assert.match(body.error.message, name);
      assert.match(body.error.hint, /roro server status/);
      assert.doesNotMatch(JSON.stringify(body), /\bat \/|node_modules/);
    }
    const bug = await fetch(api.url + '/bug');
    assert.equal(bug.status, 500);
    assert.equal(bug.headers.get('retry-after'), null);
    assert.equal(lines.filter((l) => l.startsWith('unavailable:')).length, 2);
    assert.equal(lines.filter((l) => l.startsWith('internal error:')).length, 1);
  } finally {
    api.close();
  }
});

test('a stream that already started ends with an error line (NDJSON) or is cut off (anything else)', async () => {
  const port = await closedPort();
  const refused = await refusedByDatabase(port);
  const lines: string[] = [];
  const app = express();
  app.get('/events', async (_req, res) => {
    res.status(200).type('application/x-ndjson');
    res.write('{"seq":1,"kind":"phase","message":"Building"}\n');
    throw refused;
  });
  app.get('/file', async (_req, res) => {
    res.status(200).type('application/octet-stream');
    res.write(Buffer.alloc(1000));
    throw refused;
  });
  app.use(errorHandler((l) => lines.push(l), { databasePort: port }));
  const api = await serve(app);
  try {
    const events = await fetch(api.url + '/events');
    assert.equal(events.status, 200);
    const text = await events.text();
    const [first, last, ...rest] = text.trim().split('\n');
    assert.equal(JSON.parse(first!).seq, 1);
    assert.equal(JSON.parse(last!).error.code, 'unavailable');
    assert.deepEqual(rest, []);
    const file = await fetch(api.url + '/file');
    await assert.rejects(file.arrayBuffer(), /terminated/, 'a cut body must not look complete');
    assert.ok(!lines.some((l) => l.includes('ERR_HTTP_HEADERS_SENT')), lines.join('\n'));
  } finally {
    api.close();
  }
});
