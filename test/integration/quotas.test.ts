import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { adminLogin, api, apiUrl, newUser, testEnv, unique } from '../helpers/platform.js';
import { deployAndWait, projectCopy } from '../helpers/deploy.js';
import { tarOf } from '../helpers/raw-tar.js';
import { volumeDir } from '../../core/config.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function put(token: string, urlPath: string, body: Buffer) {
  const res = await fetch(`${apiUrl()}${urlPath}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
    body,
  });
  return {
    status: res.status,
    body: (await res.json()) as { error?: { code: string; message: string; hint: string } },
  };
}

test(
  'quotas: running jobs, replicas and volume bytes stop at the limit an admin set, naming it',
  { timeout: 300_000 },
  async (t) => {
    const user = await newUser();
    const admin = await adminLogin();
    const project = unique('quota');
    assert.equal(
      (await api('POST', '/v1/projects', { token: user.token, body: { name: project } })).status,
      201,
    );
    const projectId = String(
      (await api('GET', `/v1/projects/${project}`, { token: user.token })).body.project.id,
    );
    const dep = await deployAndWait(user.token, project, projectCopy('hello', project));
    assert.equal(dep.final.kind, 'done');

    await t.test('only an admin sets quotas; every key and value is checked', async () => {
      const mine = await api('PUT', `/v1/projects/${project}/quotas`, {
        token: user.token,
        body: { running_jobs: 99 },
      });
      assert.equal(mine.status, 403);
      const bad = await api('PUT', `/v1/projects/${project}/quotas`, {
        token: admin,
        body: { running_jobz: 1 },
      });
      assert.equal(bad.status, 400);
      assert.match(bad.body.error.hint, /running_jobs/);
      const negative = await api('PUT', `/v1/projects/${project}/quotas`, {
        token: admin,
        body: { replicas: -1 },
      });
      assert.equal(negative.status, 400);
      const set = await api('PUT', `/v1/projects/${project}/quotas`, {
        token: admin,
        body: { running_jobs: 1, replicas: 1, volume_bytes: 1_000_000 },
      });
      assert.equal(set.status, 200, JSON.stringify(set.body));
      const seen = await api('GET', `/v1/projects/${project}/quotas`, { token: user.token });
      const byName = Object.fromEntries(
        seen.body.quotas.map((q: { name: string; limit: number }) => [q.name, q.limit]),
      );
      assert.deepEqual(byName, { running_jobs: 1, services: 20, replicas: 1, volume_bytes: 1_000_000 });
    });

    await t.test('a second running job is refused while the first runs', async () => {
      const first = await api('POST', `/v1/projects/${project}/jobs`, {
        token: user.token,
        body: { command: ['sleep', '60'] },
      });
      assert.equal(first.status, 202, JSON.stringify(first.body));
      const second = await api('POST', `/v1/projects/${project}/jobs`, {
        token: user.token,
        body: { command: ['true'] },
      });
      assert.equal(second.status, 403);
      assert.equal(second.body.error.code, 'quota_exceeded');
      assert.match(second.body.error.message, /would have 2 running jobs; its quota running_jobs is 1/);
      assert.match(second.body.error.hint, /roro quotas:set running_jobs=N/);
      await api('POST', `/v1/projects/${project}/jobs/${first.body.job.id}/stop`, { token: user.token });
    });

    await t.test(
      'a release asking for more instances than the quota is refused before it builds',
      async () => {
        const two = projectCopy('hello', project, (dir) => {
          const f = path.join(dir, 'roro.yml');
          fs.writeFileSync(
            f,
            fs
              .readFileSync(f, 'utf8')
              .replace('function: greet.hello', 'function: greet.hello\n    replicas: 2'),
          );
        });
        const res = await deployAndWait(user.token, project, two).catch((err: Error) => err);
        assert.match(String(res instanceof Error ? res.message : JSON.stringify(res)), /quota replicas is 1/);
      },
    );

    await t.test(
      'volume bytes: a file past the quota and a gzip bomb are refused, and leave nothing',
      async () => {
        const data = volumeDir(testEnv().home, projectId, 'data');
        const q = (p: string, dir = false) =>
          `/v1/projects/${project}/volumes/data/files?path=${encodeURIComponent(p)}${dir ? '&type=dir' : ''}`;
        const small = await put(user.token, q('small.bin'), Buffer.alloc(1000, 1));
        assert.equal(small.status, 201);
        const big = await put(user.token, q('big.bin'), Buffer.alloc(2_000_000, 1));
        assert.equal(big.status, 403);
        assert.equal(big.body.error!.code, 'quota_exceeded');
        assert.match(big.body.error!.message, /quota volume_bytes is 1000000/);
        // 50 MB of zeros packs into about 50 KB: what it unpacks to is what counts.
        const bomb = zlib.gzipSync(tarOf([{ name: 'zeros.bin', body: Buffer.alloc(50 * 1024 * 1024) }]));
        assert.ok(bomb.length < 200_000);
        const refused = await put(user.token, q('unpacked', true), bomb);
        assert.equal(refused.status, 403, JSON.stringify(refused.body));
        assert.match(refused.body.error!.message, /volume_bytes/);
        await sleep(100);
        assert.deepEqual(
          fs.readdirSync(data).sort(),
          ['small.bin'],
          'nothing of the refused uploads is left in the volume',
        );
      },
    );

    await api('DELETE', `/v1/projects/${project}`, { token: user.token });
  },
);
