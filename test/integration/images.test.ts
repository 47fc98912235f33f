import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { RoroError } from '../../core/errors.js';
import { buildProjectImage, ensureBaseImage, ensureRuntimeImage } from '../../activities/images.js';

const docker = new Docker({ socketPath: process.env.DOCKER_SOCKET ?? '/var/run/docker.sock' });
const project = `itest-${Math.random().toString(36).slice(2, 8)}`;
let runtimeImage = '';
let workDir = '';

async function writeProject(files: Record<string, string>): Promise<string> {
  const dir = await fs.mkdtemp(path.join(workDir, 'code-'));
  for (const [name, text] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await fs.writeFile(path.join(dir, name), text);
  }
  return dir;
}

async function runOnce(image: string, cmd: string[]): Promise<string> {
  const container = await docker.createContainer({
    Image: image,
    Cmd: cmd,
    Labels: { 'roro.managed': 'true', 'roro.project': project },
  });
  await container.start();
  await container.wait();
  const out = (await container.logs({ stdout: true, stderr: true })) as unknown as Buffer;
  await container.remove({ force: true });
  // Strip the 8-byte frame headers of the multiplexed log.
  let text = '';
  for (let off = 0; off + 8 <= out.length;) {
    const size = out.readUInt32BE(off + 4);
    text += out.subarray(off + 8, off + 8 + size).toString();
    off += 8 + size;
  }
  return text;
}

before(async () => {
  workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'roro-images-test-'));
  const base = await ensureBaseImage(docker);
  assert.equal(base.image, 'roro/base:bookworm');
  const runtime = await ensureRuntimeImage(docker, 'python3', {
    onLog: () => undefined,
    timeoutMs: 30 * 60_000,
  });
  assert.match(runtime.image, /^roro\/runtime-python3:[0-9a-f]{12}$/);
  runtimeImage = runtime.image;
});

after(async () => {
  const images = await docker.listImages({ filters: { label: [`roro.project=${project}`] } });
  for (const img of images)
    await docker
      .getImage(img.Id)
      .remove({ force: true })
      .catch(() => undefined);
  await fs.rm(workDir, { recursive: true, force: true });
});

test('the base and runtime images are reused when their recipe is unchanged', async () => {
  assert.equal((await ensureBaseImage(docker)).built, false);
  const again = await ensureRuntimeImage(docker, 'python3');
  assert.equal(again.built, false);
  assert.equal(again.image, runtimeImage);
  const out = await runOnce(runtimeImage, [
    'sh',
    '-c',
    'id -u; echo $MPLBACKEND; python -c "import numpy, pandas, sklearn, scipy, joblib, matplotlib, roro; print(\'ok\')"; which roro-serve jupyter',
  ]);
  assert.match(out, /^1000\nAgg\nok\n\/opt\/roro\/venv\/bin\/roro-serve\n\/opt\/roro\/venv\/bin\/jupyter/);
});

test('a code-only change reuses the pip layer', async () => {
  const requirements = 'joblib==1.4.2\n';
  const first = await writeProject({ 'requirements.txt': requirements, 'main.py': 'print("one")\n' });
  const r1 = await buildProjectImage(docker, {
    project,
    buildId: 'b1',
    runtimeImage,
    codeDir: first,
    timeoutMs: 600_000,
  });
  assert.equal(r1.image, `roro/app-${project}:b1`);
  const second = await writeProject({
    'requirements.txt': requirements,
    'main.py': 'print("two")\n',
    'pkg/x.py': '',
  });
  const log: string[] = [];
  const r2 = await buildProjectImage(docker, {
    project,
    buildId: 'b2',
    runtimeImage,
    codeDir: second,
    onLog: (l) => log.push(l),
    timeoutMs: 600_000,
  });
  const pipStep = log.findIndex((l) => /^Step \d+\/\d+ : RUN .*pip install/.test(l));
  assert.ok(pipStep >= 0, log.join('\n'));
  assert.match(log[pipStep + 1] ?? '', /Using cache/);
  assert.notEqual(r1.imageId, r2.imageId);
  const info = await docker.getImage(r2.image).inspect();
  assert.deepEqual(
    [
      info.Config.Labels?.['roro.managed'],
      info.Config.Labels?.['roro.project'],
      info.Config.Labels?.['roro.build'],
    ],
    ['true', project, 'b2'],
  );
  const out = await runOnce(r2.image, ['sh', '-c', 'python main.py; stat -c %U /app/main.py; ls /app']);
  assert.equal(out, 'two\nroro\nmain.py\npkg\nrequirements.txt\n');
});

test('a project without requirements.txt builds', async () => {
  const dir = await writeProject({ 'app.py': 'x = 1\n' });
  const r = await buildProjectImage(docker, { project, buildId: 'noreq', runtimeImage, codeDir: dir });
  assert.match(r.imageId, /^sha256:/);
});

test("a failing pip install fails the build with pip's own message", async () => {
  const dir = await writeProject({ 'requirements.txt': 'roro-surely-missing-package==0.0.1\n', 'a.py': '' });
  await assert.rejects(
    buildProjectImage(docker, { project, buildId: 'bad', runtimeImage, codeDir: dir, timeoutMs: 600_000 }),
    (err: unknown) => {
      assert.ok(err instanceof RoroError);
      assert.equal(err.code, 'build_failed');
      assert.match(err.message, /No matching distribution found for roro-surely-missing-package==0\.0\.1/);
      return true;
    },
  );
});

test('a build past its time limit is stopped', async () => {
  const dir = await writeProject({ 'requirements.txt': 'roro-surely-missing-package==0.0.2\n' });
  await assert.rejects(
    buildProjectImage(docker, { project, buildId: 'slow', runtimeImage, codeDir: dir, timeoutMs: 50 }),
    (err: unknown) => err instanceof RoroError && err.code === 'build_timeout',
  );
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(
    buildProjectImage(docker, { project, buildId: 'cancel', runtimeImage, codeDir: dir, signal: ac.signal }),
    (err: unknown) => err instanceof RoroError && err.code === 'build_cancelled',
  );
});

test('the keras runtime builds on python3', { skip: process.env.RORO_SLOW_TESTS !== '1' }, async () => {
  const keras = await ensureRuntimeImage(docker, 'python3-keras', { timeoutMs: 60 * 60_000 });
  assert.match(keras.image, /^roro\/runtime-python3-keras:/);
  const out = await runOnce(keras.image, [
    'python',
    '-c',
    'import keras, tensorflow; print(keras.__version__)',
  ]);
  assert.match(out, /^3\./m);
});
