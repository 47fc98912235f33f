import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { api, newUser, testEnv, unique } from '../helpers/platform.js';
import { uploadArchive } from '../helpers/deploy.js';
import { tarOf, type RawEntry } from '../helpers/raw-tar.js';
import { homePaths } from '../../core/config.js';

const yml = (project: string): RawEntry => ({
  name: 'roro.yml',
  body: Buffer.from(`project: ${project}\nservices:\n  - name: default\n    function: greet.hello\n`),
});

async function upload(token: string, project: string, entries: RawEntry[], opts: { badSha?: boolean } = {}) {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'roro-up-')), 'code.tar.gz');
  fs.writeFileSync(file, gzipSync(tarOf(entries)));
  const sha = crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
  return uploadArchive(
    token,
    project,
    file,
    opts.badSha ? sha.replace(/^./, (c) => (c === 'a' ? 'b' : 'a')) : sha,
  );
}

test('the deploy API refuses malicious archives, naming the entry, and keeps nothing', async () => {
  const user = await newUser();
  const project = unique('evil');
  await api('POST', '/v1/projects', { token: user.token, body: { name: project } });
  const buildsBefore = fs.readdirSync(homePaths(testEnv().home).builds).length;
  const cases: [string, RawEntry[]][] = [
    ['../escape.py', [yml(project), { name: '../escape.py', body: Buffer.from('x') }]],
    ['/etc/cron.d/evil', [yml(project), { name: '/etc/cron.d/evil', body: Buffer.from('x') }]],
    [
      'link',
      [
        yml(project),
        { name: 'link', type: '2', linkname: '/etc' },
        { name: 'link/passwd', body: Buffer.from('x') },
      ],
    ],
    ['dev', [yml(project), { name: 'dev', type: '3' }]],
  ];
  for (const [entry, entries] of cases) {
    const res = await upload(user.token, project, entries);
    assert.equal(res.status, 400, `${entry}: ${JSON.stringify(res.body)}`);
    assert.ok(res.body.error.message.includes(entry), `${entry} named in: ${res.body.error.message}`);
  }
  const bad = await upload(user.token, project, [yml(project)], { badSha: true });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error.code, 'checksum_mismatch');
  assert.equal(
    fs.readdirSync(homePaths(testEnv().home).builds).length,
    buildsBefore,
    'no upload left behind',
  );
  assert.equal(fs.existsSync('/etc/cron.d/evil'), false);
  const rel = await api('GET', `/v1/projects/${project}/releases`, { token: user.token });
  assert.deepEqual(rel.body.releases, []);
});
