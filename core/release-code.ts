import fs from 'node:fs/promises';
import path from 'node:path';
import { homePaths } from './config.js';
import { RoroError } from './errors.js';
import { extractArchive, sha256File } from './archive/index.js';

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Where an upload waits while its deploy runs: builds/<deployId>/ holds code.tar.gz and the extracted code/. */
export function uploadDir(home: string, deployId: string): string {
  return path.join(homePaths(home).builds, deployId);
}

export function uploadArchivePath(home: string, deployId: string): string {
  return path.join(uploadDir(home, deployId), 'code.tar.gz');
}

export function uploadCodeDir(home: string, deployId: string): string {
  return path.join(uploadDir(home, deployId), 'code');
}

export function releaseCodeRoot(home: string, projectId: string): string {
  return path.join(homePaths(home).releases, projectId);
}

/** Releases with the same code share one archive, named by the upload's sha256. */
function releaseCodePath(home: string, projectId: string, sha256: string): string {
  if (!SHA256_HEX.test(sha256)) throw new Error(`${sha256} is not a sha256 digest`);
  return path.join(releaseCodeRoot(home, projectId), `${sha256}.tar.gz`);
}

/** Removes what a deploy left in builds/, whether it succeeded or not. */
export async function removeUpload(home: string, deployId: string): Promise<void> {
  await fs.rm(uploadDir(home, deployId), { recursive: true, force: true });
}

/**
 * Moves a deploy's uploaded archive to releases/<projectId>/<sha256>.tar.gz. Idempotent: a retry
 * after the move, or an archive another release already kept, changes nothing.
 */
export async function keepReleaseCode(
  home: string,
  projectId: string,
  deployId: string,
  sha256: string,
): Promise<void> {
  const from = uploadArchivePath(home, deployId);
  const to = releaseCodePath(home, projectId, sha256);
  try {
    await fs.access(from);
  } catch {
    return;
  }
  await fs.mkdir(path.dirname(to), { recursive: true, mode: 0o700 });
  try {
    await fs.access(to);
    await fs.rm(from, { force: true });
  } catch {
    await fs.rename(from, to);
  }
}

/**
 * Extracts a release's kept code into builds/<deployId>/code for a rebuild, after checking that
 * the archive still has the sha256 it is named by.
 */
export async function extractReleaseCode(
  home: string,
  projectId: string,
  sha256: string,
  deployId: string,
): Promise<string> {
  const file = releaseCodePath(home, projectId, sha256);
  const actual = await sha256File(file).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
    throw new RoroError(`The code of this release was not kept (${path.basename(file)} is missing).`, {
      status: 409,
      code: 'release_code_missing',
      hint: 'Run `roro deploy` again from the project directory to build a new release.',
    });
  });
  if (actual !== sha256) {
    throw new RoroError(`The kept code of this release is damaged: ${file} no longer has its sha256.`, {
      status: 409,
      code: 'release_code_damaged',
      hint: 'Run `roro deploy` again from the project directory to build a new release.',
    });
  }
  const dest = uploadCodeDir(home, deployId);
  await fs.mkdir(path.dirname(dest), { recursive: true, mode: 0o700 });
  await fs.rm(dest, { recursive: true, force: true });
  await extractArchive(file, dest);
  return dest;
}
