import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { BASE_IMAGE, ensureBaseImage, ensureRuntimeImage, runtimeImageTag } from '../../activities/images.js';
import { REPO_ROOT } from '../../core/config.js';
import { getRuntime } from '../../core/runtimes.js';

const run = promisify(execFile);
const SCRIPT = path.join(REPO_ROOT, 'scripts', 'second-engine.sh');

/** A Docker engine of the test's own, in its own network namespace (scripts/second-engine.sh). */
export interface SecondEngine {
  dir: string;
  /** unix://... for DOCKER_HOST */
  dockerHost: string;
  socket: string;
  /** The engine's address as the host (and other engines) reach it. */
  nodeIp: string;
  /** The host's address on the engine's link: every engine started here reaches the host at it. */
  hostIp: string;
  docker: Docker;
  /** Copies an image from the host's engine (read only there). */
  load(image: string): Promise<void>;
  /** Links its network namespace straight to another engine's, so each reaches the other's nodeIp. */
  link(other: SecondEngine): Promise<void>;
  /** SIGKILL to its containers and the engine, as a host that loses power; `down` still cleans up. */
  crash(): Promise<void>;
  /**
   * Runs a shell script as root of the engine's host would: in its network namespace (its firewall,
   * its addresses), with DOCKER_HOST pointing at it.
   */
  shell(script: string, env?: NodeJS.ProcessEnv): Promise<{ stdout: string; stderr: string }>;
  /** Stops the engine and removes everything it made. */
  down(): Promise<void>;
}

/**
 * Picks the engine's addresses from the platform's port base, so test runs of different platforms
 * on one machine do not collide; `slot` tells apart the engines of one run (0, 1, ...).
 */
export function engineIndex(slot = 0): number {
  const base = Number(process.env.RORO_PORT_BASE || 7400);
  return ((Math.floor(base / 100) * 2 + slot) % 200) + 1;
}

export async function startSecondEngine(slot = 0): Promise<SecondEngine> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roro-engine-'));
  const down = async () => void (await run(SCRIPT, ['down', dir], { timeout: 120_000 }));
  let out: string;
  try {
    out = (await run(SCRIPT, ['up', dir, String(engineIndex(slot))], { timeout: 120_000 })).stdout;
  } catch (err) {
    await down().catch(() => undefined);
    throw err;
  }
  const value = (name: string) => {
    const m = new RegExp(`^${name}=(.*)$`, 'm').exec(out);
    if (!m?.[1]) throw new Error(`second-engine.sh printed no ${name}: ${out}`);
    return m[1];
  };
  const dockerHost = value('DOCKER_HOST');
  const socket = dockerHost.slice('unix://'.length);
  return {
    dir,
    dockerHost,
    socket,
    nodeIp: value('NODE_IP'),
    hostIp: value('NODE_IP').replace(/\.2$/, '.1'),
    docker: new Docker({ socketPath: socket }),
    load: async (image) => void (await run(SCRIPT, ['load', dir, image], { timeout: 300_000 })),
    link: async (other) => void (await run(SCRIPT, ['link', dir, other.dir], { timeout: 30_000 })),
    crash: async () => void (await run(SCRIPT, ['crash', dir], { timeout: 60_000 })),
    shell: async (script, env = {}) => {
      const netns = /^NETNS=(.*)$/m.exec(fs.readFileSync(path.join(dir, 'engine.env'), 'utf8'))?.[1];
      if (!netns) throw new Error(`no network namespace recorded in ${dir}/engine.env`);
      return run('nsenter', [`--net=/run/netns/${netns}`, 'sh', '-c', script], {
        env: { ...process.env, DOCKER_HOST: dockerHost, ...env },
        timeout: 600_000,
      });
    },
    down,
  };
}

/**
 * Gives the engine, which starts empty and pulls nothing, the base and python3 runtime images of the
 * host's engine; returns the runtime image's name. By id, and a pair that belongs together: other
 * platforms on the host's engine may point the base's tag at another recipe meanwhile.
 */
export async function loadPlatformImages(engine: SecondEngine, host: Docker): Promise<string> {
  let base = await ensureBaseImage(host);
  let runtime = await ensureRuntimeImage(host, 'python3');
  for (let i = 0; i < 3; i++) {
    base = await ensureBaseImage(host);
    if ((await runtimeImageTag(getRuntime('python3')!, base.imageId)) === runtime.image) break;
    runtime = await ensureRuntimeImage(host, 'python3');
  }
  await engine.load(base.imageId);
  const [repo = '', tag = ''] = BASE_IMAGE.split(':');
  await engine.docker.getImage(base.imageId).tag({ repo, tag });
  await engine.load(runtime.image);
  return runtime.image;
}
