import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { packProject } from '../../core/archive/pack.js';
import type { PackResult } from '../../core/archive/pack.js';
import { ConfigError, RoroError } from '../../core/errors.js';
import type { Issue } from '../../core/roro-yml.js';
import { formatIssues, validateRoroYml } from '../../core/roro-yml.js';
import { ApiClient } from '../client.js';
import { detachOrFollow } from '../follow.js';
import type { Deploy } from '../follow.js';
import { info, warn } from '../output.js';
import { formatBytes, uploadProgress } from '../progress.js';
import type { UploadProgress } from '../progress.js';
import { announced, isRefusedUnavailable, isTransient, startOutcomeUnknown, withRetry } from '../retry.js';
import { RORO_YML, projectPath, readRoroYml, resolveProject } from '../project.js';

export interface DeployOptions {
  project?: string;
  detach?: boolean;
  json?: boolean;
  url?: string;
}

// ---------- the phases of `roro deploy` ----------

/** Checks ./roro.yml before anything is packed or sent: every issue at once, exit 2. */
export function validatePhase(flag: unknown, cwd = process.cwd()): string {
  const yml = readRoroYml(cwd);
  if (!yml) {
    throw new ConfigError(
      `No ${RORO_YML} in ${cwd}: roro deploy needs one to know what to run.`,
      'Run roro deploy from your project directory, or create roro.yml with "project: NAME" and a "services:" list.',
    );
  }
  const fallback = typeof flag === 'string' && flag ? flag : process.env.RORO_PROJECT || undefined;
  const { config, issues } = validateRoroYml(yml.text, { filename: RORO_YML, project: fallback });
  if (!config) {
    throw new ConfigError(
      formatIssues(issues),
      `Fix the problems listed above in ${RORO_YML}, then run roro deploy again.`,
      issues,
    );
  }
  const project = resolveProject(flag, process.env, cwd);
  if (config.project && config.project !== project) {
    warn(
      `roro.yml names project ${config.project}; deploying to ${project} as --project or RORO_PROJECT says.`,
    );
  }
  return project;
}

export async function packagePhase(dir = process.cwd()): Promise<PackResult> {
  const pack = await packProject(dir, { onWarning: (message) => warn(message) });
  info(
    `Packaging ${pack.files} file${pack.files === 1 ? '' : 's'} (${formatBytes(pack.uncompressedBytes)})... done.`,
  );
  return pack;
}

/**
 * Streams the archive with its length and checksum; the server starts the deploy workflow and
 * answers 202. A 503 `unavailable` means the server refused before starting anything, so the upload
 * is sent again; an upload cut off without an answer is not, since the deploy may have started.
 */
export async function uploadPhase(client: ApiClient, project: string, pack: PackResult): Promise<Deploy> {
  const bar = uploadProgress(`Uploading ${formatBytes(pack.bytes)}`, pack.bytes);
  try {
    const deploy = await withRetry(
      () => uploadOnce(client, project, pack, bar),
      announced({ retryIf: isRefusedUnavailable }),
    );
    bar.finish();
    return deploy;
  } catch (err) {
    bar.fail();
    throw explainUploadError(err, project);
  }
}

async function uploadOnce(
  client: ApiClient,
  project: string,
  pack: PackResult,
  bar: UploadProgress,
): Promise<Deploy> {
  let sent = 0;
  async function* counted() {
    for await (const chunk of createReadStream(pack.file)) {
      sent += (chunk as Buffer).length;
      bar.update(sent);
      yield chunk as Buffer;
    }
  }
  const { deploy } = await client.request<{ deploy: Deploy }>(`${projectPath(project)}/deploys`, {
    method: 'POST',
    bodyStream: Readable.from(counted()),
    headers: {
      'content-type': 'application/gzip',
      'content-length': String(pack.bytes),
      'x-roro-sha256': pack.sha256,
    },
  });
  return deploy;
}

/** Adds the next step to the deploy endpoint's refusals when the server did not give one. */
function explainUploadError(err: unknown, project: string): unknown {
  if (isTransient(err) && !isRefusedUnavailable(err))
    return startOutcomeUnknown(err, 'deploy', `roro ps --project ${project}`);
  if (!(err instanceof RoroError)) return err;
  if (err.code === 'invalid_roro_yml' && Array.isArray(err.details)) {
    return new ConfigError(
      formatIssues(err.details as Issue[]),
      err.hint ?? `Fix ${RORO_YML}, then run roro deploy again.`,
      err.details,
    );
  }
  const running = (err.details as { deployId?: string } | undefined)?.deployId;
  const hints: Record<string, string> = {
    deploy_running: `Wait for ${running ? `deploy ${running}` : 'the running deploy'} to finish (see roro ps), then run roro deploy again.`,
    too_large:
      'Leave large files out with .roroignore; data belongs in /volumes/data (copy it with roro cp).',
    checksum_mismatch: 'The upload was damaged on the way; run roro deploy again.',
    invalid_archive: 'The upload was damaged on the way; run roro deploy again.',
  };
  const hint = hints[err.code];
  if (err.hint || !hint) return err;
  return new RoroError(err.message, { code: err.code, status: err.status, hint, details: err.details });
}

export async function deployCommand(opts: DeployOptions): Promise<void> {
  const project = validatePhase(opts.project);
  const client = ApiClient.forCli(opts.url);
  const pack = await packagePhase();
  let deploy: Deploy;
  try {
    deploy = await uploadPhase(client, project, pack);
  } finally {
    await rm(pack.file, { force: true });
  }
  await detachOrFollow(client, project, deploy, opts, {
    final: (d) => `Deployed version ${d.version ?? '?'} of ${project} project.`,
    next: 'Watch it with: roro ps',
    showRestarted: true,
  });
}
