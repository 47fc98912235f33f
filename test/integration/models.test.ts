import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import Docker from 'dockerode';
import { api, apiUrl, newUser, projectCli, unique } from '../helpers/platform.js';
import { removeProjectContainers } from '../helpers/docker.js';
import { REPO_ROOT } from '../../core/config.js';
import { deployAndWait, gatewayRequest, projectCopy } from '../helpers/deploy.js';

const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitJob(token: string, project: string, id: string) {
  for (let i = 0; i < 600; i++) {
    const job = (await api('GET', `/v1/projects/${project}/jobs/${id}`, { token })).body.job;
    if (job.status !== 'running') return job;
    await sleep(500);
  }
  throw new Error(`job ${id} did not finish`);
}

async function jobLog(token: string, project: string, id: string): Promise<string> {
  const res = await api('GET', `/v1/projects/${project}/jobs/${id}/logs?limit=5000`, { token });
  return res.body.lines.map((l: { line: string }) => l.line).join('\n');
}

/** The token the platform gave a running container; read through Docker, as only the host can. */
async function containerToken(project: string): Promise<{ id: string; token: string }> {
  const [c] = await docker.listContainers({
    filters: { label: [`roro.project=${project}`, 'roro.kind=service'], status: ['running'] },
  });
  assert.ok(c, 'a running service container');
  const env = (await docker.getContainer(c.Id).inspect()).Config.Env;
  const line = env.find((e) => e.startsWith('RORO_API_TOKEN='));
  assert.ok(line, 'RORO_API_TOKEN in the container');
  assert.ok(env.includes('RORO_API_SOCKET=/run/roro/api.sock'));
  return { id: c.Id, token: line.slice('RORO_API_TOKEN='.length) };
}

/** POSTs `size` bytes claimed in Content-Length; resolves with the status the server answers. */
function upload(project: string, token: string, headers: Record<string, string>, body: Buffer | null) {
  return new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = http.request(`${apiUrl()}/v1/projects/${project}/models/clf/versions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream', ...headers },
    });
    req.on('response', (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    if (body) req.end(body);
    else req.write(Buffer.alloc(1024)); // the server answers 413 from the header alone
  });
}

test('models: a job saves versions, the CLI shows them, a service serves the tagged one', async (t) => {
  const user = await newUser();
  const project = unique('models');
  assert.equal(
    (await api('POST', '/v1/projects', { token: user.token, body: { name: project } })).status,
    201,
  );
  const cli = projectCli(user.token, project);
  t.after(() => removeProjectContainers(project));

  const dir = projectCopy('model-server', project);
  const first = await deployAndWait(user.token, project, dir);
  assert.equal(first.final.kind, 'done', JSON.stringify(first.events.slice(-5)));

  const started = await api('POST', `/v1/projects/${project}/jobs`, {
    token: user.token,
    body: { command: ['python', 'train.py'] },
  });
  assert.equal(started.status, 202, JSON.stringify(started.body));
  const jobId = started.body.job.id as string;
  const job = await waitJob(user.token, project, jobId);
  const log = await jobLog(user.token, project, jobId);
  assert.equal(job.status, 'success', log);
  assert.match(log, /activity \[2, 1\]/);
  assert.match(log, /repositories \['clf'\]/);

  await t.test('the API lists both versions with metadata and lineage', async () => {
    const repos = await api('GET', `/v1/projects/${project}/models`, { token: user.token });
    assert.deepEqual(
      repos.body.repositories.map((r: any) => [r.name, r.versions, r.latest]),
      [['clf', 2, 2]],
    );
    const { versions } = (
      await api('GET', `/v1/projects/${project}/models/clf/versions`, { token: user.token })
    ).body;
    assert.deepEqual(
      versions.map((v: any) => v.version),
      [2, 1],
    );
    for (const v of versions) {
      assert.match(v.modelId, /^[0-9a-f]{12}$/);
      assert.equal(v.jobId, jobId);
      assert.equal(v.release, 1);
      assert.equal(v.contentEncoding, 'joblib');
      assert.equal(v.details['Test-Score'], '1.0');
      assert.equal(v.details['Model-Name'], 'clf');
      assert.equal(v.details['Model-Version'], String(v.version));
      assert.equal(v.details['Job-ID'], jobId);
    }
    assert.equal(versions[1].comment, 'trained with C=1.0');
    assert.equal(versions[1].metadata.C, '1.0');
    assert.notEqual(versions[0].modelId, versions[1].modelId);
  });

  await t.test('the CLI logs, tags, shows and downloads', async () => {
    const logOut = await cli(['models:log', 'clf']);
    assert.equal(logOut.code, 0, logOut.stderr);
    const lines = logOut.stdout.trim().split('\n');
    assert.match(lines[0]!, /^VERSION\s+MODEL-ID\s+DATE\s+COMMENT\s+TAGS\s+JOB$/);
    assert.match(lines[1]!, new RegExp(`^2\\s+[0-9a-f]{12}\\s.*trained with C=10.0.*${jobId}$`));
    assert.match(lines[2]!, new RegExp(`^1\\s+[0-9a-f]{12}\\s.*trained with C=1.0.*${jobId}$`));
    const list = await cli(['models']);
    assert.match(list.stdout, /^clf\s+2\s+2\s/m);
    const tag = await cli(['models:tag', 'clf:1', 'prod']);
    assert.equal(tag.code, 0, tag.stderr);
    const show = await cli(['models:show', 'clf:prod', '--json']);
    assert.equal(show.code, 0, show.stderr);
    const v = JSON.parse(show.stdout).version;
    assert.equal(v.version, 1);
    assert.deepEqual(v.tags, ['prod']);
    const text = await cli(['models:show', 'clf']);
    assert.match(text.stdout, /^Model-Version:\s+2$/m);
    assert.match(text.stdout, /^Test-Score:\s+1\.0$/m);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'roro-model-')), 'clf.joblib');
    const dl = await cli(['models:download', 'clf:1', file]);
    assert.equal(dl.code, 0, dl.stderr);
    assert.equal(crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex'), v.sha256);
    const tags = await api('GET', `/v1/projects/${project}/models/clf/tags`, { token: user.token });
    assert.deepEqual(
      tags.body.tags.map((x: any) => [x.tag, x.version]),
      [['prod', 1]],
    );
    const latest = await api('PUT', `/v1/projects/${project}/models/clf/tags/latest`, {
      token: user.token,
      body: { version: 1 },
    });
    assert.equal(latest.status, 400);
  });

  await t.test('uploads are checked: sha256, size limit', async () => {
    const bad = await upload(project, user.token, { 'x-roro-sha256': '0'.repeat(64) }, Buffer.from('abc'));
    assert.equal(bad.status, 400, bad.text);
    const huge = await upload(project, user.token, { 'content-length': String(64 * 1024 ** 3) }, null);
    assert.equal(huge.status, 413, huge.text);
    const { versions } = (
      await api('GET', `/v1/projects/${project}/models/clf/versions`, { token: user.token })
    ).body;
    assert.equal(versions.length, 2);
  });

  await t.test('a redeployed service serves the version tagged prod', async () => {
    const again = await deployAndWait(user.token, project, dir);
    assert.equal(again.final.kind, 'done', JSON.stringify(again.events.slice(-5)));
    const res = await gatewayRequest(`/${project}/predict`, { body: { features: [1, 0] } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.prediction, 1);
    assert.equal(res.body.model_version, 1);
    assert.match(res.body.model_id, /^[0-9a-f]{12}$/);
  });

  await t.test('the Python client works outside containers with RORO_API_URL and a login token', () => {
    // The host's python3 has no joblib, so this also covers the pickle encoding.
    const code = `import roro
repo = roro.get_current_project().get_model_repository("clf")
print(repo.get_model_image(tag="prod").version, sorted(repo.get_tags().items()))
img = repo.new_model_image({"w": [1, 2]}); img["Source"] = "laptop"; img.save(comment="from a laptop")
again = repo.get_model_image()
print(again.version, again["Content-Encoding"], again.get_model(), again["Source"])
try:
    repo.get_model_image(version=99)
except roro.NotFoundError as e:
    print("404", e)`;
    const out = execFileSync('python3', ['-c', code], {
      cwd: os.tmpdir(),
      encoding: 'utf8',
      env: {
        ...process.env,
        PYTHONPATH: path.join(REPO_ROOT, 'runtimes', 'python'),
        RORO_API_URL: apiUrl(),
        RORO_API_TOKEN: user.token,
        RORO_PROJECT: project,
      },
    });
    const lines = out.trim().split('\n');
    assert.equal(lines[0], "1 [('prod', 1)]");
    assert.equal(lines[1], "3 pickle {'w': [1, 2]} laptop");
    assert.match(lines[2]!, /^404 Model repository clf has no version 99\./);
  });

  await t.test(
    'access: non-members and other projects see nothing; a container token is scoped',
    async () => {
      const stranger = await newUser();
      const denied = await api('GET', `/v1/projects/${project}/models`, { token: stranger.token });
      assert.equal(denied.status, 404);
      const other = unique('models-other');
      assert.equal(
        (await api('POST', '/v1/projects', { token: user.token, body: { name: other } })).status,
        201,
      );

      const { id, token } = await containerToken(project);
      const own = await api('GET', `/v1/projects/${project}/models/clf/versions/prod`, { token });
      assert.equal(own.status, 200, JSON.stringify(own.body));
      assert.equal((await api('GET', `/v1/projects/${other}/models`, { token })).status, 404);
      assert.equal((await api('GET', `/v1/projects/${project}/volumes`, { token })).status, 403);
      assert.equal((await api('GET', '/v1/projects', { token })).status, 403);
      assert.equal((await api('GET', '/v1/users', { token })).status, 403);

      await docker.getContainer(id).remove({ force: true });
      // The API remembers a live container for a few seconds; the token must die after that.
      let after = await api('GET', `/v1/projects/${project}/models`, { token });
      for (let i = 0; i < 60 && after.status === 200; i++) {
        await sleep(500);
        after = await api('GET', `/v1/projects/${project}/models`, { token });
      }
      assert.equal(after.status, 401, JSON.stringify(after.body));
      // Revoked for good: it stays dead even if a container with its label came back.
      assert.equal((await api('GET', `/v1/projects/${project}/jobs`, { token })).status, 401);
      await api('DELETE', `/v1/projects/${other}`, { token: user.token });
    },
  );
});
