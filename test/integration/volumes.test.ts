import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { volumeDir } from '../../core/config.js';
import { api, newUser, roro, testEnv, unique } from '../helpers/platform.js';
import { deployAndWait, gatewayRequest, projectCopy } from '../helpers/deploy.js';

async function setup() {
  const user = await newUser();
  const project = unique('vol');
  const created = await api('POST', '/v1/projects', { token: user.token, body: { name: project } });
  assert.equal(created.status, 201);
  const cli = (args: string[], input?: string) =>
    roro(args, { env: { RORO_TOKEN: user.token, RORO_PROJECT: project, RORO_URL: testEnv().apiUrl }, input });
  return { token: user.token, project, id: String(created.body.project.id), cli };
}

/** sha256 of every file and the target of every link, by relative path. */
function manifest(root: string, rel = '', out: Record<string, string> = {}): Record<string, string> {
  for (const name of fs.readdirSync(path.join(root, rel)).sort()) {
    const r = rel ? `${rel}/${name}` : name;
    const st = fs.lstatSync(path.join(root, r));
    if (st.isDirectory()) manifest(root, r, out);
    else if (st.isSymbolicLink()) out[r] = `-> ${fs.readlinkSync(path.join(root, r))}`;
    else
      out[r] = crypto
        .createHash('sha256')
        .update(fs.readFileSync(path.join(root, r)))
        .digest('hex');
  }
  return out;
}

function sourceTree(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roro-cp-'));
  fs.mkdirSync(path.join(dir, 'models', 'v1'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'models', 'v1', 'model.bin'), crypto.randomBytes(3 * 1024 * 1024 + 17));
  fs.writeFileSync(path.join(dir, 'readme.txt'), 'hello volumes\n');
  fs.writeFileSync(path.join(dir, 'empty'), '');
  fs.mkdirSync(path.join(dir, 'nothing-here'));
  fs.symlinkSync('models/v1', path.join(dir, 'current'));
  return dir;
}

/** A PUT that announces more bytes than it sends, then drops the connection. */
function abortedUpload(token: string, urlPath: string): Promise<void> {
  const env = testEnv();
  return new Promise((resolve) => {
    const req = http.request({
      host: '127.0.0.1',
      port: env.ports.api,
      path: urlPath,
      method: 'PUT',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/octet-stream',
        'content-length': '100000',
      },
    });
    req.on('error', () => resolve());
    req.write(Buffer.alloc(1000, 1), () =>
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 300),
    );
  });
}

function rawPut(token: string, urlPath: string, length: number): Promise<{ status: number; body: string }> {
  const env = testEnv();
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: env.ports.api,
        path: urlPath,
        method: 'PUT',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/octet-stream',
          'content-length': String(length),
        },
      },
      (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.flushHeaders();
  });
}

test(
  'volumes: list, add, copy in and out, escapes refused, atomic uploads',
  { timeout: 300_000 },
  async (t) => {
    const { token, project, id, cli } = await setup();
    const data = volumeDir(testEnv().home, id, 'data');

    await t.test('a new project has data and notebooks; volumes:add and its name rule', async () => {
      const list = await cli(['volumes', '--json']);
      assert.equal(list.code, 0, list.stderr);
      assert.deepEqual(
        JSON.parse(list.stdout).volumes.map((v: { name: string }) => v.name),
        ['data', 'notebooks'],
      );
      assert.equal((await cli(['volumes:add', 'models'])).code, 0);
      const again = await cli(['volumes:add', 'models']);
      assert.equal(again.code, 1);
      assert.match(again.stderr, /already exists/);
      const bad = await cli(['volumes:add', 'Bad_Name']);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /lowercase letters/);
      assert.ok(fs.statSync(volumeDir(testEnv().home, id, 'models')).isDirectory());
    });

    await t.test('a directory copied in and out keeps every byte', async () => {
      const src = sourceTree();
      const up = await cli(['cp', '-r', src, 'data:sets/']);
      assert.equal(up.code, 0, up.stderr);
      const onVolume = path.join(data, 'sets', path.basename(src));
      assert.deepEqual(manifest(onVolume), manifest(src));
      if (process.getuid?.() === 0)
        assert.equal(fs.statSync(path.join(onVolume, 'models', 'v1', 'model.bin')).uid, 1000);
      const again = await cli(['cp', '-r', src, 'data:sets/']);
      assert.equal(again.code, 1);
      assert.match(again.stderr, /already exists.*\n.*--force/);
      assert.equal((await cli(['cp', '-r', '--force', src, 'data:sets/'])).code, 0);
      const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'roro-cp-out-')), 'copy');
      const down = await cli(['cp', '-r', `data:sets/${path.basename(src)}`, out]);
      assert.equal(down.code, 0, down.stderr);
      assert.deepEqual(manifest(out), manifest(src));
      const ls = JSON.parse(
        (await cli(['volumes:ls', `data:sets/${path.basename(src)}/models/v1`, '--json'])).stdout,
      );
      assert.deepEqual(
        ls.entries.map((e: { name: string; size: number; mode: string }) => [e.name, e.size, e.mode]),
        [['model.bin', 3 * 1024 * 1024 + 17, '-rw-r--r--']],
      );
    });

    await t.test('single files: into a directory, to a new name, back out', async () => {
      const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'roro-cp-')), 'model.pkl');
      fs.writeFileSync(file, crypto.randomBytes(200_000));
      assert.equal((await cli(['cp', file, 'data:files/'])).code, 0);
      assert.equal((await cli(['cp', file, 'data:files/renamed.pkl'])).code, 0);
      assert.deepEqual(fs.readdirSync(path.join(data, 'files')).sort(), ['model.pkl', 'renamed.pkl']);
      const back = `${file}.back`;
      assert.equal((await cli(['cp', 'data:files/renamed.pkl', back])).code, 0);
      assert.deepEqual(fs.readFileSync(back), fs.readFileSync(file));
      const dir = await cli(['cp', 'data:files', back]);
      assert.equal(dir.code, 2);
      assert.match(dir.stderr, /is a directory[\s\S]*-r/);
    });

    await t.test('paths that leave the volume are refused with 400 naming the path', async () => {
      fs.symlinkSync('/etc', path.join(data, 'etc-link'));
      fs.symlinkSync('/etc/passwd', path.join(data, 'passwd-link'));
      const local = path.join(os.tmpdir(), unique('x'));
      fs.writeFileSync(local, 'x');
      const cases: [string[], string][] = [
        [['cp', local, 'data:../x'], 'data:../x'],
        [['cp', local, 'data:a/../../x'], 'data:a/../../x'],
        [['cp', 'data:/etc/passwd', local + '.1'], 'data:/etc/passwd'],
        [['cp', 'data:etc-link/passwd', local + '.2'], 'data:etc-link/passwd'],
        [['cp', 'data:passwd-link', local + '.3'], 'data:passwd-link'],
        [['cp', local, 'data:etc-link/roro-was-here'], 'data:etc-link/roro-was-here'],
        [['volumes:ls', 'data:etc-link'], 'data:etc-link'],
      ];
      for (const [args, shown] of cases) {
        const res = await cli(args);
        assert.equal(res.code, 2, `${args.join(' ')}: ${res.stderr}`);
        assert.ok(res.stderr.includes(shown) && /inside the volume/.test(res.stderr), res.stderr);
      }
      assert.ok(!fs.existsSync('/etc/roro-was-here'));
      for (const n of [1, 2, 3]) assert.ok(!fs.existsSync(`${local}.${n}`));
      const rawDown = await api(
        'GET',
        `/v1/projects/${project}/volumes/data/files?path=${encodeURIComponent('../../../../etc/passwd')}`,
        { token },
      );
      assert.equal(rawDown.status, 400);
      // A whole-volume download leaves the links that lead out behind instead of following them.
      const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'roro-cp-out-')), 'all');
      assert.equal((await cli(['cp', '-r', 'data:', out])).code, 0);
      assert.ok(!fs.existsSync(path.join(out, 'etc-link')) && !fs.existsSync(path.join(out, 'passwd-link')));
    });

    await t.test('an interrupted upload never appears under any name; a huge one gets 413', async () => {
      const q = (p: string) => `/v1/projects/${project}/volumes/data/files?path=${encodeURIComponent(p)}`;
      await abortedUpload(token, q('partial.bin'));
      let leftovers: string[] = ['?'];
      for (let i = 0; i < 50 && leftovers.length; i++) {
        leftovers = fs.readdirSync(data).filter((n) => n === 'partial.bin' || n.startsWith('.roro-upload-'));
        if (leftovers.length) await new Promise((r) => setTimeout(r, 100));
      }
      assert.deepEqual(leftovers, []);
      const huge = await rawPut(token, q('huge.bin'), 64 * 1024 * 1024 * 1024);
      assert.equal(huge.status, 413);
      assert.match(JSON.parse(huge.body).error.message, /larger than the server's limit/);
      assert.ok(!fs.existsSync(path.join(data, 'huge.bin')));
    });

    await t.test('volumes:remove asks first, then removes the directory', async () => {
      const noYes = await cli(['volumes:remove', 'models']);
      assert.equal(noYes.code, 2);
      assert.match(noYes.stderr, /--yes/);
      const res = await cli(['volumes:remove', 'models', '--yes']);
      assert.equal(res.code, 0, res.stderr);
      assert.ok(!fs.existsSync(volumeDir(testEnv().home, id, 'models')));
    });
  },
);

test(
  'a file a service writes to /volumes/data survives a redeploy; volumes in use are not removed',
  { timeout: 900_000 },
  async () => {
    const { token, project, cli } = await setup();
    const dir = projectCopy('volume-reader', project);
    const first = await deployAndWait(token, project, dir);
    assert.equal(first.final.kind, 'done', JSON.stringify(first.events.slice(-5)));
    const content = `written by the service ${crypto.randomBytes(4).toString('hex')}`;
    const w = await gatewayRequest(`/${project}/write?path=notes/kept.txt`, { body: content });
    assert.equal(w.status, 200, JSON.stringify(w.body));
    const local = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'roro-cp-')), 'up.txt');
    fs.writeFileSync(local, 'copied in');
    assert.equal((await cli(['cp', local, 'data:notes/'])).code, 0);

    const second = await deployAndWait(token, project, dir);
    assert.equal(second.final.kind, 'done', JSON.stringify(second.events.slice(-5)));
    assert.notEqual(second.id, first.id);
    const kept = await gatewayRequest(`/${project}/read?path=notes/kept.txt`);
    assert.equal(kept.body.content, JSON.stringify(content));
    const copied = await gatewayRequest(`/${project}/read?path=notes/up.txt`);
    assert.equal(copied.body.content, 'copied in', 'a file copied with roro cp is readable by the service');

    const busy = await cli(['volumes:remove', 'notebooks', '--yes']);
    assert.equal(busy.code, 1);
    assert.match(busy.stderr, new RegExp(`in use by 1 running container.*roro-${project}-default-`));
  },
);
