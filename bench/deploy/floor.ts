/**
 * The floor a deploy is compared with: a plain `docker build` of the very Dockerfile roro generates
 * (projectDockerfile) from a ready context directory, `docker run` of the function server with the
 * same command and size limits as a roro service, and the first successful POST /predict on the
 * container's port. No upload, no queue, no gateway, no health gate, no route switch.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { projectDockerfile } from '../../activities/images.js';
import { SERVICE_PORT } from '../../activities/plan.js';
import type { SizeLimits } from '../../core/sizes.js';
import { pollUntil } from './http.js';

const run = promisify(execFile);
export const FLOOR_IMAGE = 'roro-bench/deploy-floor';

export interface FloorRound {
  buildMs: number;
  /** From the start of the build to the first 200 from POST /predict. */
  readyMs: number;
  container: string;
}

/** The build context `docker build` gets: Dockerfile, requirements.txt and the code under app/. */
export async function floorContext(codeDir: string, runtimeImage: string, into: string): Promise<string> {
  await fs.rm(into, { recursive: true, force: true });
  await fs.mkdir(into, { recursive: true });
  await fs.writeFile(path.join(into, 'Dockerfile'), projectDockerfile(runtimeImage));
  await fs.copyFile(path.join(codeDir, 'requirements.txt'), path.join(into, 'requirements.txt'));
  await fs.cp(codeDir, path.join(into, 'app'), { recursive: true });
  return into;
}

export async function floorRound(
  context: string,
  tag: string,
  limits: SizeLimits,
  call: { fn: string; args: Record<string, unknown> },
): Promise<FloorRound> {
  const image = `${FLOOR_IMAGE}:${tag}`;
  const t0 = performance.now();
  await run('docker', ['build', '-q', '-t', image, context], { maxBuffer: 16 << 20 });
  const buildMs = performance.now() - t0;
  const { stdout } = await run('docker', [
    'run',
    '-d',
    '--init',
    '--label',
    'roro-bench=deploy-floor',
    '--cpus',
    String(limits.cpus),
    '--memory',
    String(limits.memoryBytes),
    '-p',
    `127.0.0.1::${SERVICE_PORT}`,
    image,
    'roro-serve',
    '--function',
    call.fn,
    '--port',
    String(SERVICE_PORT),
  ]);
  const container = stdout.trim();
  const port = (await run('docker', ['port', container, `${SERVICE_PORT}/tcp`])).stdout
    .trim()
    .split('\n')[0]
    ?.split(':')
    .pop();
  if (!port)
    throw new Error(
      `docker port ${container} printed no host port: the container did not publish ${SERVICE_PORT}.`,
    );
  const name = call.fn.split('.').pop()!;
  const { at } = await pollUntil(`http://127.0.0.1:${port}/${name}`, {
    method: 'POST',
    json: call.args,
    accept: (r) => r.status === 200,
    deadlineMs: 180_000,
  });
  return { buildMs, readyMs: at - t0, container };
}

/** Removes the floor's containers and images; failures are ignored (nothing left is the goal). */
export async function floorCleanup(): Promise<void> {
  const ids = (
    await run('docker', ['ps', '-aq', '--filter', 'label=roro-bench=deploy-floor']).catch(() => ({
      stdout: '',
    }))
  ).stdout
    .split('\n')
    .filter(Boolean);
  if (ids.length) await run('docker', ['rm', '-f', ...ids]).catch(() => undefined);
  const images = (await run('docker', ['images', '-q', FLOOR_IMAGE]).catch(() => ({ stdout: '' }))).stdout
    .split('\n')
    .filter(Boolean);
  if (images.length) await run('docker', ['rmi', '-f', ...new Set(images)]).catch(() => undefined);
}

export async function removeContainer(id: string): Promise<void> {
  await run('docker', ['rm', '-f', id]).catch(() => undefined);
}

/**
 * Containers and images of a deleted project that the platform left behind; removed so repeated
 * runs do not pile them up. Returns how many there were, so the run can say so.
 */
/** Project removal runs as a workflow after `projects:delete` returns: wait for it before counting leftovers. */
export async function waitProjectGone(project: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const c = await run('docker', ['ps', '-aq', '--filter', `label=roro.project=${project}`]).catch(() => ({
      stdout: '',
    }));
    const i = await run('docker', ['images', '-q', `roro/app-${project}`]).catch(() => ({ stdout: '' }));
    if (!c.stdout.trim() && !i.stdout.trim()) return;
    await new Promise((r) => setTimeout(r, 500));
  }
}

export async function removeProjectLeftovers(project: string): Promise<number> {
  const list = async (args: string[]) =>
    (await run('docker', args).catch(() => ({ stdout: '' }))).stdout.split('\n').filter(Boolean);
  const containers = await list(['ps', '-aq', '--filter', `label=roro.project=${project}`]);
  if (containers.length) await run('docker', ['rm', '-f', ...containers]).catch(() => undefined);
  const images = [...new Set(await list(['images', '-q', `roro/app-${project}`]))];
  if (images.length) await run('docker', ['rmi', '-f', ...images]).catch(() => undefined);
  return containers.length + images.length;
}
