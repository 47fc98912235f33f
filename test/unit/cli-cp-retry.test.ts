import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { cpCommand } from '../../cli/commands/cp.js';

/** A volume API whose answers follow a script: each PUT gets the next behaviour, after reading the body. */
async function volumeApi(behaviours: ((res: http.ServerResponse) => void)[]) {
  const bodies: Buffer[] = [];
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    bodies.push(Buffer.concat(chunks));
    const next = behaviours.shift();
    if (next) return next(res);
    res.writeHead(201, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ volume: 'data', path: 'x', bytes: bodies.at(-1)!.length, files: 1 }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, bodies, server };
}

const lostAnswer = (res: http.ServerResponse) => res.socket?.destroy();
const json = (status: number, error: object) => (res: http.ServerResponse) => {
  res.writeHead(status, { 'content-type': 'application/json', 'retry-after': '0' });
  res.end(JSON.stringify({ error }));
};

process.env.RORO_TOKEN = 'token';

test('a file copy whose answer is lost, then refused with 503, is sent again whole', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roro-cp-'));
  const file = path.join(dir, 'model.bin');
  fs.writeFileSync(file, Buffer.alloc(100_000, 7));
  const api = await volumeApi([
    lostAnswer,
    json(503, { code: 'unavailable', message: 'The database is unreachable.' }),
  ]);
  try {
    await cpCommand(file, 'data:models/', { project: 'proj', url: api.url });
    assert.equal(api.bodies.length, 3);
    for (const b of api.bodies)
      assert.ok(b.equals(fs.readFileSync(file)), 'every attempt sent the whole file');
  } finally {
    api.server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a directory copy whose answer was lost and then finds its target says the lost attempt made it', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roro-cp-'));
  fs.writeFileSync(path.join(dir, 'a.txt'), 'a');
  const api = await volumeApi([
    lostAnswer,
    json(409, {
      code: 'conflict',
      message: 'data:images already exists.',
      hint: 'Pass --force to replace it.',
    }),
  ]);
  try {
    await assert.rejects(
      cpCommand(dir, 'data:images', { project: 'proj', url: api.url, recursive: true }),
      (err: Error & { code?: string }) =>
        err.code === 'copied_before' && /most likely copied it completely/.test(err.message),
    );
    assert.equal(api.bodies.length, 2);
  } finally {
    api.server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a refusal of a copy (413 too large) is not sent again', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roro-cp-'));
  const file = path.join(dir, 'big.bin');
  fs.writeFileSync(file, 'x');
  const api = await volumeApi([json(413, { code: 'too_large', message: 'Too large.' })]);
  try {
    await assert.rejects(cpCommand(file, 'data:', { project: 'proj', url: api.url }), /Too large/);
    assert.equal(api.bodies.length, 1);
  } finally {
    api.server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
