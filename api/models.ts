import crypto from 'node:crypto';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Pool, PoolClient } from 'pg';
import { withTransaction } from '../db/transaction.js';
import { NotFoundError, ValidationError } from '../core/errors.js';
import { checkName } from '../core/names.js';
import { blobPath, discardBlob, type StagedBlob } from './model-blobs.js';

/** Metadata the server assigns; a client may not set these keys itself. */
const SYSTEM_KEYS = ['Model-ID', 'Model-Name', 'Model-Version', 'Date', 'Content-Encoding', 'Comment'];
const ENCODING_RE = /^[a-z0-9][a-z0-9.+-]{0,39}$/;
const MAX_META_ENTRIES = 100;

export interface ModelRepository {
  name: string;
  versions: number;
  latest: number | null;
  createdAt: string;
  updatedAt: string;
}

export interface ModelVersion {
  repository: string;
  version: number;
  modelId: string;
  contentEncoding: string;
  comment: string;
  metadata: Record<string, string>;
  size: number;
  sha256: string;
  createdBy: string | null;
  jobId: string | null;
  release: number | null;
  createdAt: string;
  tags: string[];
  /** Everything as rorodata showed it: system keys first, then the user's. */
  details: Record<string, string>;
}

export interface NewVersionInput {
  comment?: unknown;
  contentEncoding?: unknown;
  metadata?: unknown;
  jobId?: unknown;
  release?: unknown;
}

const SELECT_VERSION = `
  SELECT r.name AS repository, v.version, v.model_id, v.content_encoding, v.comment, v.metadata, v.size,
         v.sha256, u.email AS created_by, v.job_id, v.release, v.created_at,
         COALESCE((SELECT array_agg(t.tag ORDER BY t.tag) FROM model_tags t
                   WHERE t.repo_id = v.repo_id AND t.version = v.version), '{}') AS tags
  FROM model_versions v
  JOIN model_repositories r ON r.id = v.repo_id
  LEFT JOIN users u ON u.id = v.created_by`;

interface VersionRow {
  repository: string;
  version: number;
  model_id: string;
  content_encoding: string;
  comment: string;
  metadata: Record<string, string> | null;
  size: string | number;
  sha256: string;
  created_by: string | null;
  job_id: string | null;
  release: number | null;
  created_at: Date;
  tags: string[] | null;
}

function toVersion(r: VersionRow): ModelVersion {
  const v: Omit<ModelVersion, 'details'> = {
    repository: r.repository,
    version: r.version,
    modelId: r.model_id,
    contentEncoding: r.content_encoding,
    comment: r.comment,
    metadata: r.metadata ?? {},
    size: Number(r.size),
    sha256: r.sha256,
    createdBy: r.created_by ?? null,
    jobId: r.job_id ?? null,
    release: r.release ?? null,
    createdAt: r.created_at.toISOString(),
    tags: r.tags ?? [],
  };
  const details: Record<string, string> = {
    'Model-ID': v.modelId,
    'Model-Name': v.repository,
    'Model-Version': String(v.version),
    Date: v.createdAt,
    'Content-Encoding': v.contentEncoding,
    Comment: v.comment,
    ...(v.jobId ? { 'Job-ID': v.jobId } : {}),
    ...(v.release !== null ? { Release: String(v.release) } : {}),
    ...v.metadata,
  };
  return { ...v, details };
}

export function checkTag(tag: unknown): string {
  const t = checkName('tag', tag);
  if (t === 'latest')
    throw new ValidationError('The tag "latest" is reserved: it always means the newest version.', {
      hint: 'Choose another tag, such as "prod".',
    });
  return t;
}

/** Validates what a client sends with a new version; metadata is string keys to string values. */
export function checkNewVersion(input: NewVersionInput) {
  const meta = input.metadata ?? {};
  if (typeof meta !== 'object' || Array.isArray(meta) || meta === null)
    throw new ValidationError('Model metadata must be a JSON object of strings.');
  const entries = Object.entries(meta);
  if (entries.length > MAX_META_ENTRIES)
    throw new ValidationError(`A model carries at most ${MAX_META_ENTRIES} metadata keys.`);
  for (const [k, v] of entries) {
    if (!k || k.length > 100 || typeof v !== 'string' || v.length > 10_000)
      throw new ValidationError(
        `Metadata ${JSON.stringify(k)}: keys are 1-100 characters and values strings up to 10000 characters.`,
      );
    if (SYSTEM_KEYS.includes(k))
      throw new ValidationError(`Metadata key ${k} is set by the server; use another key.`);
  }
  const comment = input.comment ?? '';
  if (typeof comment !== 'string' || comment.length > 10_000)
    throw new ValidationError('The comment must be a string of at most 10000 characters.');
  const enc = input.contentEncoding ?? 'pickle';
  if (typeof enc !== 'string' || !ENCODING_RE.test(enc))
    throw new ValidationError(
      `Content-Encoding ${JSON.stringify(enc)} is not a short lowercase name like "joblib".`,
    );
  const jobId =
    input.jobId === undefined || input.jobId === null || input.jobId === '' ? null : String(input.jobId);
  return { comment, contentEncoding: enc, metadata: meta as Record<string, string>, jobId };
}

export async function listRepositories(db: Pool, projectId: string): Promise<ModelRepository[]> {
  const res = await db.query(
    `SELECT r.name, r.created_at, r.updated_at, count(v.version)::int AS versions, max(v.version) AS latest
     FROM model_repositories r LEFT JOIN model_versions v ON v.repo_id = r.id
     WHERE r.project_id = $1 GROUP BY r.id ORDER BY r.name`,
    [projectId],
  );
  return res.rows.map((r) => ({
    name: r.name,
    versions: r.versions,
    latest: r.latest ?? null,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  }));
}

const noRepo = (repo: string) =>
  new NotFoundError(
    `Model repository ${repo} has no versions yet.`,
    'Save one from Python with repo.new_model_image(model).save(), or run `roro models` to list repositories.',
  );

export async function listVersions(db: Pool, projectId: string, repo: string, limit: number) {
  const res = await db.query<VersionRow>(
    `${SELECT_VERSION} WHERE r.project_id = $1 AND r.name = $2 ORDER BY v.version DESC LIMIT $3`,
    [projectId, repo, limit],
  );
  if (!res.rows.length) {
    const found = await db.query('SELECT 1 FROM model_repositories WHERE project_id = $1 AND name = $2', [
      projectId,
      repo,
    ]);
    if (!found.rows.length) throw noRepo(repo);
  }
  return res.rows.map(toVersion);
}

/** `ref` is a version number, a tag, or `latest` (the newest version). */
export async function getVersion(
  db: Pool,
  projectId: string,
  repo: string,
  ref: string,
): Promise<ModelVersion> {
  const where = 'WHERE r.project_id = $1 AND r.name = $2';
  let res;
  if (/^\d{1,9}$/.test(ref)) {
    res = await db.query<VersionRow>(`${SELECT_VERSION} ${where} AND v.version = $3`, [
      projectId,
      repo,
      Number(ref),
    ]);
  } else if (ref === 'latest') {
    res = await db.query<VersionRow>(`${SELECT_VERSION} ${where} ORDER BY v.version DESC LIMIT 1`, [
      projectId,
      repo,
    ]);
  } else {
    res = await db.query<VersionRow>(
      `${SELECT_VERSION} JOIN model_tags tg ON tg.repo_id = v.repo_id AND tg.version = v.version
       ${where} AND tg.tag = $3`,
      [projectId, repo, checkName('tag', ref)],
    );
  }
  const row = res.rows[0];
  if (row) return toVersion(row);
  if (ref === 'latest') throw noRepo(repo);
  throw new NotFoundError(
    `Model repository ${repo} has no version ${/^\d+$/.test(ref) ? ref : `tagged ${ref}`}.`,
    `Run \`roro models:log ${repo}\` to see its versions and tags.`,
  );
}

async function lockRepo(c: PoolClient, projectId: string, repo: string): Promise<string> {
  const res = await c.query<{ id: string }>(
    `INSERT INTO model_repositories (project_id, name) VALUES ($1, $2)
     ON CONFLICT (project_id, name) DO UPDATE SET updated_at = now() RETURNING id`,
    [projectId, repo],
  );
  return String(res.rows[0]!.id);
}

/** Lineage comes from the job's own row, so a release is never taken on the client's word alone. */
async function lineage(c: PoolClient, projectId: string, jobId: string | null, release: unknown) {
  if (!jobId) {
    const n = Number(release);
    return { jobId: null, release: Number.isInteger(n) && n > 0 ? n : null };
  }
  const job = await c.query('SELECT release_version FROM jobs WHERE id = $1 AND project_id = $2', [
    jobId,
    projectId,
  ]);
  if (!job.rows[0]) throw new ValidationError(`Job ${jobId} is not a job of this project.`);
  return { jobId, release: (job.rows[0].release_version as number | null) ?? null };
}

/**
 * Records the next version and moves the staged blob into place in one transaction: the row
 * lock on the repository orders concurrent saves, and a failed rename rolls the row back.
 */
export async function saveVersion(
  db: Pool,
  home: string,
  ctx: { projectId: string; userId: string; repo: string },
  input: NewVersionInput,
  staged: StagedBlob,
): Promise<ModelVersion> {
  let finalPath: string | undefined;
  let version: number;
  try {
    const v = checkNewVersion(input);
    version = await withTransaction(db, async (c) => {
      const repoId = await lockRepo(c, ctx.projectId, ctx.repo);
      const lin = await lineage(c, ctx.projectId, v.jobId, input.release);
      const next = await c.query<{ n: number }>(
        'SELECT COALESCE(max(version), 0) + 1 AS n FROM model_versions WHERE repo_id = $1',
        [repoId],
      );
      const n = next.rows[0]!.n;
      await c.query(
        `INSERT INTO model_versions (repo_id, version, model_id, content_encoding, comment, metadata, size,
           sha256, created_by, job_id, release)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
        [
          repoId,
          n,
          crypto.randomBytes(6).toString('hex'),
          v.contentEncoding,
          v.comment,
          JSON.stringify(v.metadata),
          staged.size,
          staged.sha256,
          ctx.userId,
          lin.jobId,
          lin.release,
        ],
      );
      finalPath = blobPath(home, ctx.projectId, ctx.repo, n);
      await fsp.rename(staged.file, finalPath);
      return n;
    });
  } catch (err) {
    if (finalPath) await fsp.rm(finalPath, { force: true });
    await discardBlob(staged);
    throw err;
  }
  // Read back after the commit: a failure here must not remove a version that is already saved.
  return getVersion(db, ctx.projectId, ctx.repo, String(version));
}

export async function listTags(db: Pool, projectId: string, repo: string) {
  const res = await db.query(
    `SELECT t.tag, t.version, t.created_at FROM model_tags t JOIN model_repositories r ON r.id = t.repo_id
     WHERE r.project_id = $1 AND r.name = $2 ORDER BY t.tag`,
    [projectId, repo],
  );
  return res.rows.map((r) => ({
    tag: r.tag as string,
    version: r.version as number,
    createdAt: r.created_at.toISOString(),
  }));
}

/** Adding a tag that exists moves it to the new version, so "prod" can be pointed back for a rollback. */
export async function setTag(db: Pool, projectId: string, repo: string, tag: string, version: number) {
  const v = await getVersion(db, projectId, repo, String(version));
  await db.query(
    `INSERT INTO model_tags (repo_id, tag, version)
     SELECT id, $3, $4 FROM model_repositories WHERE project_id = $1 AND name = $2
     ON CONFLICT (repo_id, tag) DO UPDATE SET version = EXCLUDED.version, created_at = now()`,
    [projectId, repo, tag, v.version],
  );
  return { tag, version: v.version };
}

export async function removeTag(db: Pool, projectId: string, repo: string, tag: string): Promise<void> {
  const res = await db.query(
    `DELETE FROM model_tags t USING model_repositories r
     WHERE r.id = t.repo_id AND r.project_id = $1 AND r.name = $2 AND t.tag = $3`,
    [projectId, repo, tag],
  );
  if (!res.rowCount) throw new NotFoundError(`Model repository ${repo} has no tag ${tag}.`);
}

export const repoDir = (home: string, projectId: string, repo: string) =>
  path.dirname(blobPath(home, projectId, repo, 1));
