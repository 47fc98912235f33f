/**
 * Code-only rebuild: buildProjectImage (tar stream through dockerode) against a plain
 * `docker build` of the same generated Dockerfile and context, in the same process, with the pip
 * layer cached for both. Prints each run and the ratio of medians.
 *
 *   node dist/bench/build/compare.js [rounds=3]
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { buildProjectImage, ensureRuntimeImage, projectDockerfile } from '../../activities/images.js';

const docker = new Docker({ socketPath: process.env.DOCKER_SOCKET ?? '/var/run/docker.sock' });
const rounds = Math.min(Math.max(Number(process.argv[2] ?? 3), 1), 10);
const project = 'bench-build';

async function writeCode(dir: string, round: number): Promise<void> {
  await fs.mkdir(path.join(dir, 'src'), { recursive: true });
  await fs.writeFile(path.join(dir, 'requirements.txt'), 'joblib==1.4.2\n');
  // A few hundred small files, like a real project with notebooks and modules.
  for (let i = 0; i < 300; i++)
    await fs.writeFile(path.join(dir, 'src', `m${i}.py`), `X = ${i}\n`.repeat(20));
  await fs.writeFile(path.join(dir, 'main.py'), `print(${round})\n`);
}

async function plainContext(codeDir: string, runtimeImage: string): Promise<string> {
  const ctx = await fs.mkdtemp(path.join(os.tmpdir(), 'roro-bench-ctx-'));
  await fs.writeFile(path.join(ctx, 'Dockerfile'), projectDockerfile(runtimeImage));
  await fs.copyFile(path.join(codeDir, 'requirements.txt'), path.join(ctx, 'requirements.txt'));
  await fs.cp(codeDir, path.join(ctx, 'app'), { recursive: true });
  return ctx;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function main(): Promise<void> {
  const runtimeImage = (await ensureRuntimeImage(docker, 'python3')).image;
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'roro-bench-'));
  const code = path.join(work, 'code');
  const roro: number[] = [];
  const plain: number[] = [];
  try {
    await writeCode(code, -1);
    await buildProjectImage(docker, { project, buildId: 'warm', runtimeImage, codeDir: code });
    for (let r = 0; r < rounds; r++) {
      await writeCode(code, 2 * r);
      let t = performance.now();
      await buildProjectImage(docker, { project, buildId: `r${r}`, runtimeImage, codeDir: code });
      roro.push(performance.now() - t);

      await writeCode(code, 2 * r + 1);
      // The plain build's context directory is prepared outside the timed part.
      const ctx = await plainContext(code, runtimeImage);
      t = performance.now();
      execFileSync('docker', ['build', '-q', '-t', `roro/app-${project}:plain${r}`, ctx], {
        stdio: 'ignore',
      });
      plain.push(performance.now() - t);
      await fs.rm(ctx, { recursive: true, force: true });
      console.log(
        `round ${r}: buildProjectImage ${roro[r]!.toFixed(0)} ms, docker build ${plain[r]!.toFixed(0)} ms`,
      );
    }
    const ratio = median(roro) / median(plain);
    console.log(
      `median: buildProjectImage ${median(roro).toFixed(0)} ms, docker build ${median(plain).toFixed(0)} ms, ratio ${ratio.toFixed(2)}`,
    );
  } finally {
    await fs.rm(work, { recursive: true, force: true });
    const images = await docker.listImages({ filters: { reference: [`roro/app-${project}`] } });
    for (const img of images)
      await docker
        .getImage(img.Id)
        .remove({ force: true })
        .catch(() => undefined);
  }
}

await main();
