import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import readline from 'node:readline';
import type Docker from 'dockerode';
import { REPO_ROOT } from '../core/config.js';
import { RoroError } from '../core/errors.js';
import { checkName } from '../core/names.js';
import { getRuntime, runtimeChain, runtimeNames, type RuntimeDefinition } from '../core/runtimes.js';
import { runImageBuild } from '../containers/build.js';
import { hashInputs, packContext } from '../containers/context.js';

export const BASE_IMAGE = 'roro/base:bookworm';

export interface ImageOptions {
  onLog?: (line: string) => void;
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Where runtimes/ lives; the repository by default. */
  repoRoot?: string;
}

export interface ImageRef {
  image: string;
  imageId: string;
  /** False when an existing image was reused. */
  built: boolean;
}

async function imageLabels(
  docker: Docker,
  ref: string,
): Promise<{ id: string; labels: Record<string, string> } | undefined> {
  try {
    const info = await docker.getImage(ref).inspect();
    return { id: info.Id, labels: info.Config?.Labels ?? {} };
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return undefined;
    throw err;
  }
}

/** False when the engine has no image by that name (pruned, or a machine restored from a backup). */
export async function imageExists(docker: Docker, ref: string): Promise<boolean> {
  return (await imageLabels(docker, ref)) !== undefined;
}

function runScript(script: string, args: string[], docker: Docker, opts: ImageOptions): Promise<string> {
  const socket = (docker.modem as { socketPath?: string }).socketPath;
  const env = { ...process.env, ...(socket ? { DOCKER_HOST: `unix://${socket}` } : {}) };
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [script, ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      signal: opts.signal,
    });
    const out: string[] = [];
    for (const s of [child.stdout, child.stderr]) {
      readline.createInterface({ input: s }).on('line', (line) => {
        out.push(line);
        opts.onLog?.(line);
      });
    }
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(out.join('\n'));
      else
        reject(
          new RoroError(
            `${path.basename(script)} ${args.join(' ')} failed (exit ${code}): ${out.slice(-5).join(' / ')}`,
            { code: 'base_image_failed' },
          ),
        );
    });
  });
}

/**
 * Makes sure roro/base:bookworm exists and matches runtimes/base/build.sh (its recipe label).
 * Building it takes about a minute and needs root (debootstrap).
 */
export async function ensureBaseImage(docker: Docker, opts: ImageOptions = {}): Promise<ImageRef> {
  const script = path.join(opts.repoRoot ?? REPO_ROOT, 'runtimes', 'base', 'build.sh');
  const recipe = (await runScript(script, ['--print-recipe'], docker, { ...opts, onLog: undefined })).trim();
  const existing = await imageLabels(docker, BASE_IMAGE);
  if (existing && existing.labels['roro.recipe'] === recipe)
    return { image: BASE_IMAGE, imageId: existing.id, built: false };
  await runScript(script, [], docker, opts);
  const made = await imageLabels(docker, BASE_IMAGE);
  if (!made)
    throw new RoroError(`${script} finished but ${BASE_IMAGE} is missing: run it by hand to see why.`);
  return { image: BASE_IMAGE, imageId: made.id, built: true };
}

/** The tag a runtime gets: content hash of its Dockerfile directory, runtimes/python and its parent image. */
export async function runtimeImageTag(
  runtime: RuntimeDefinition,
  parentImageId: string,
  repoRoot = REPO_ROOT,
): Promise<string> {
  const hash = await hashInputs(
    [
      { dir: path.join(repoRoot, runtime.dir), label: 'runtime' },
      { dir: path.join(repoRoot, 'runtimes', 'python'), label: 'python' },
    ],
    [parentImageId],
  );
  return `roro/runtime-${runtime.name}:${hash}`;
}

/**
 * Builds (or reuses) the image of a runtime and of every runtime it builds on, base first.
 * Returns `roro/runtime-<name>:<contenthash>`; an existing tag is reused without a build.
 */
export async function ensureRuntimeImage(
  docker: Docker,
  runtimeName: string,
  opts: ImageOptions = {},
): Promise<ImageRef> {
  if (!getRuntime(runtimeName)) {
    throw new RoroError(
      `Unknown runtime ${JSON.stringify(runtimeName)}: use one of ${runtimeNames().join(', ')}.`,
      { code: 'invalid_runtime', status: 400 },
    );
  }
  const repoRoot = opts.repoRoot ?? REPO_ROOT;
  let parent = await ensureBaseImage(docker, opts);
  for (const runtime of runtimeChain(runtimeName)) {
    const tag = await runtimeImageTag(runtime, parent.imageId, repoRoot);
    const existing = await imageLabels(docker, tag);
    if (existing) {
      parent = { image: tag, imageId: existing.id, built: false };
      continue;
    }
    opts.onLog?.(`-----> Building runtime ${runtime.name} (${tag})`);
    const python = path.join(repoRoot, 'runtimes', 'python');
    await fs.access(path.join(python, 'pyproject.toml')).catch(() => {
      throw new RoroError(
        `${python}/pyproject.toml is missing: the runtime image installs the roro package from there.`,
      );
    });
    const { imageId } = await runImageBuild(docker, {
      context: packContext({
        files: {},
        dirs: [
          { dir: path.join(repoRoot, runtime.dir), prefix: '' },
          { dir: python, prefix: 'python', skipJunk: true },
        ],
      }),
      tag,
      buildargs: { BASE_IMAGE: parent.image },
      labels: { 'roro.managed': 'true', 'roro.runtime': runtime.name },
      onLog: opts.onLog,
      signal: opts.signal,
      timeoutMs: opts.timeoutMs,
      what: `runtime ${runtime.name}`,
    });
    parent = { image: tag, imageId, built: true };
  }
  return parent;
}

export interface ProjectBuildRequest {
  project: string;
  buildId: string;
  runtimeImage: string;
  /** An extracted project directory; it becomes /app. */
  codeDir: string;
  onLog?: (line: string) => void;
  signal?: AbortSignal;
  timeoutMs?: number;
}

const REQUIREMENTS = '/opt/roro/project-requirements.txt';

/**
 * The generated Dockerfile of a project image. requirements.txt is copied alone before the code,
 * so a code-only change reuses the (slow) pip layer from the engine's cache.
 */
export function projectDockerfile(runtimeImage: string): string {
  return [
    `FROM ${runtimeImage}`,
    'USER roro',
    `COPY --chown=roro:roro requirements.txt ${REQUIREMENTS}`,
    `RUN if grep -qEv '^[[:space:]]*(#.*)?$' ${REQUIREMENTS}; then pip install --no-cache-dir -r ${REQUIREMENTS}; fi`,
    'COPY --chown=roro:roro app/ /app/',
    'WORKDIR /app',
    '',
  ].join('\n');
}

/** Builds `roro/app-<project>:<buildId>` from a runtime image and a project directory. */
export async function buildProjectImage(
  docker: Docker,
  req: ProjectBuildRequest,
): Promise<{ image: string; imageId: string }> {
  checkName('project', req.project);
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/.test(req.buildId)) {
    throw new RoroError(
      `Build id ${JSON.stringify(req.buildId)} is not a valid image tag: use letters, digits, '.', '_' and '-'.`,
      { code: 'invalid', status: 400 },
    );
  }
  const image = `roro/app-${req.project}:${req.buildId}`;
  const requirements = await fs
    .readFile(path.join(req.codeDir, 'requirements.txt'))
    .catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return Buffer.alloc(0);
      throw err;
    });
  const { imageId } = await runImageBuild(docker, {
    context: packContext({
      files: { Dockerfile: projectDockerfile(req.runtimeImage), 'requirements.txt': requirements },
      dirs: [{ dir: req.codeDir, prefix: 'app' }],
    }),
    tag: image,
    labels: { 'roro.managed': 'true', 'roro.project': req.project, 'roro.build': req.buildId },
    onLog: req.onLog,
    signal: req.signal,
    timeoutMs: req.timeoutMs,
    what: `project image ${image}`,
  });
  return { image, imageId };
}
