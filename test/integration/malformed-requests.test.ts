import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { homePaths } from '../../core/config.js';
import { api, apiUrl, newUser, testEnv, unique } from '../helpers/platform.js';
import { uploadArchive } from '../helpers/deploy.js';
import { tarOf } from '../helpers/raw-tar.js';

const apiLog = () => path.join(homePaths(testEnv().home).logs, 'api.log');
const logSize = () => fs.statSync(apiLog()).size;

/** A raw request, for headers and bytes that api() would not send. */
async function raw(
  method: string,
  urlPath: string,
  init: { token?: string; headers?: Record<string, string>; body?: string } = {},
) {
  const res = await fetch(`${apiUrl()}${urlPath}`, {
    method,
    headers: { ...(init.token ? { authorization: `Bearer ${init.token}` } : {}), ...init.headers },
    body: init.body,
  });
  const text = await res.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* keep text */
  }
  return { status: res.status, body };
}

test('one malformed request of each class answers 4xx JSON naming the field, and logs no stack trace', async () => {
  const user = await newUser();
  const name = unique('malformed');
  assert.equal((await api('POST', '/v1/projects', { token: user.token, body: { name } })).status, 201);
  const P = `/v1/projects/${name}`;
  const login = JSON.stringify({ email: 'a@example.com', password: 'x' });
  const longPath = Array.from({ length: 20 }, () => 'd'.repeat(250)).join('/');
  const eisdir = path.join(os.tmpdir(), `${name}.tar.gz`);
  fs.writeFileSync(
    eisdir,
    gzipSync(
      tarOf([
        { name: 'roro.yml/', type: '5', mode: 0o755 },
        { name: 'roro.yml/x', body: Buffer.from('x') },
      ]),
    ),
  );
  const sha = crypto.createHash('sha256').update(fs.readFileSync(eisdir)).digest('hex');

  const before = logSize();
  const cases: {
    what: string;
    send: () => Promise<{ status: number; body: any }>;
    status: number;
    names: RegExp;
  }[] = [
    {
      what: 'unsupported charset',
      send: () =>
        raw('POST', '/v1/auth/login', {
          headers: { 'content-type': 'application/json; charset=latin1' },
          body: login,
        }),
      status: 415,
      names: /charset/,
    },
    {
      what: 'unsupported Content-Encoding',
      send: () =>
        raw('POST', '/v1/auth/login', {
          headers: { 'content-type': 'application/json', 'content-encoding': 'x-nonsense' },
          body: login,
        }),
      status: 415,
      names: /Content-Encoding/,
    },
    {
      what: 'body over the route limit',
      send: () =>
        api('POST', '/v1/auth/login', { body: { email: 'a@example.com', password: 'x'.repeat(20_000) } }),
      status: 413,
      names: /at most 16384 bytes/,
    },
    {
      what: 'bad percent-encoding',
      send: () => raw('GET', '/v1/projects/%ff', { token: user.token }),
      status: 400,
      names: /percent-encoding.*%ff/,
    },
    {
      what: 'NUL byte in a body string',
      send: () => api('POST', '/v1/auth/login', { body: { email: 'a\u0000@example.com', password: 'x' } }),
      status: 400,
      names: /body\.email.*NUL/,
    },
    {
      what: 'NUL byte in a query string',
      send: () => raw('GET', `${P}/volumes/data/ls?path=a%00b`, { token: user.token }),
      status: 400,
      names: /query\.path.*NUL/,
    },
    {
      what: 'number out of range in a body',
      send: () =>
        api('PUT', `${P}/models/model-a/tags/prod`, { token: user.token, body: { version: 1e308 } }),
      status: 400,
      names: /body\.version/,
    },
    {
      what: 'boolean for a number',
      send: () => api('PUT', `${P}/models/model-a/tags/prod`, { token: user.token, body: { version: true } }),
      status: 400,
      names: /body\.version.*true/,
    },
    {
      what: 'number out of range in a query',
      send: () => raw('GET', `${P}/models/model-a/versions?limit=1e20`, { token: user.token }),
      status: 400,
      names: /query\.limit/,
    },
    {
      what: 'volume path longer than the file system takes',
      send: () => raw('GET', `${P}/volumes/data/ls?path=${longPath}`, { token: user.token }),
      status: 400,
      names: /path .*longer than 3072 bytes/,
    },
    {
      what: 'roro.yml that is a directory',
      send: () => uploadArchive(user.token, name, eisdir, sha),
      status: 400,
      names: /roro\.yml/,
    },
  ];
  const wrong: string[] = [];
  for (const c of cases) {
    const res = await c.send();
    const msg = String(res.body?.error?.message ?? '');
    if (res.status !== c.status || !res.body?.error?.code || !c.names.test(msg))
      wrong.push(`${c.what}: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
  }
  fs.rmSync(eisdir, { force: true });
  assert.deepEqual(wrong, []);
  const added = fs.readFileSync(apiLog()).subarray(before).toString();
  assert.doesNotMatch(added, /internal error|\n\s+at /, 'the API log gained a stack trace');
});
