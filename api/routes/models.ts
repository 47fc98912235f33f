import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Router, type Request } from 'express';
import { z } from 'zod';
import { intBody, intQuery, nameField } from '../input.js';
import { route } from '../route.js';
import { ModelVersion, ProjectPath } from './shapes.js';
import type { AppDeps } from '../deps.js';
import { contentLength } from '../request.js';
import { currentUser, requireAuth } from '../auth.js';
import { getProject } from '../projects.js';
import {
  checkNewVersion,
  checkTag,
  getVersion,
  listRepositories,
  listTags,
  listVersions,
  removeTag,
  repoDir,
  saveVersion,
  setTag,
  type NewVersionInput,
} from '../models.js';
import { blobPath, maxModelBytes, stageBlob } from '../model-blobs.js';
import { NotFoundError, ValidationError } from '../../core/errors.js';

/** Header carrying a new version's comment, encoding, metadata and lineage as URI-encoded JSON. */
const MODEL_META_HEADER = 'x-roro-model';

function newVersionInput(raw: string | undefined): NewVersionInput {
  if (!raw) return {};
  try {
    const v = JSON.parse(decodeURIComponent(raw)) as unknown;
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as NewVersionInput;
  } catch {
    /* reported below */
  }
  throw new ValidationError(`The ${MODEL_META_HEADER} header must be URI-encoded JSON object.`);
}

const RepoPath = ProjectPath.extend({ repo: nameField('model repository') });
const VersionPath = RepoPath.extend({ ref: z.string().describe('A version number, a tag or latest.') });
const TagPath = RepoPath.extend({ tag: nameField('tag') });
const Tag = z.looseObject({ tag: z.string(), version: z.number() });

const UploadHeaders = z.object({
  [MODEL_META_HEADER]: z
    .string()
    .optional()
    .describe('URI-encoded JSON: {comment, contentEncoding, metadata, jobId, release}.'),
  'x-roro-sha256': z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional()
    .describe("The blob's SHA-256, checked after the upload."),
});

/** The model repository of one project, under /v1/projects/:name/models. */
export function modelRoutes(deps: AppDeps): Router {
  const r = Router({ mergeParams: true });
  const auth = requireAuth(deps.db);
  const project = async (req: Request) => {
    const p = await getProject(deps.db, currentUser(req).id, String(req.params.name));
    // Belt and braces: requireAuth already keeps a scoped token on its project's paths.
    if (req.tokenProjectId && req.tokenProjectId !== p.id)
      throw new NotFoundError(`Project ${p.name} not found.`);
    return p;
  };
  const one = (description: string) => ({ description, schema: z.object({ version: ModelVersion }) });

  route(
    r,
    {
      method: 'get',
      path: '/models',
      summary: "The project's model repositories",
      access: 'user',
      use: [auth],
      params: ProjectPath,
      responses: {
        200: {
          description: 'The repositories.',
          schema: z.object({ repositories: z.array(z.looseObject({ name: z.string() })) }),
        },
      },
    },
    async (req, res) => {
      const p = await project(req);
      res.json({ repositories: await listRepositories(deps.db, p.id) });
    },
  );
  route(
    r,
    {
      method: 'get',
      path: '/models/:repo/versions',
      summary: 'Versions of a model, newest first',
      access: 'user',
      use: [auth],
      params: RepoPath,
      query: z.object({ limit: intQuery({ min: 1, fallback: 100 }).describe('At most 1000 are sent.') }),
      responses: {
        200: { description: 'The versions.', schema: z.object({ versions: z.array(ModelVersion) }) },
      },
    },
    async (req, res, { params, query }) => {
      const p = await project(req);
      res.json({ versions: await listVersions(deps.db, p.id, params.repo, Math.min(query.limit, 1000)) });
    },
  );
  route(
    r,
    {
      method: 'post',
      path: '/models/:repo/versions',
      summary: 'Upload a new version of a model',
      access: 'user',
      use: [auth],
      params: RepoPath,
      headers: UploadHeaders,
      upload: { contentType: 'application/octet-stream', description: 'The model file.' },
      responses: { 201: one('Stored.') },
    },
    async (req, res, { params, headers }) => {
      const p = await project(req);
      const input = newVersionInput(headers[MODEL_META_HEADER]);
      // Bad metadata is refused before a byte of the body is stored.
      checkNewVersion(input);
      const staged = await stageBlob(repoDir(deps.env.home, p.id, params.repo), req, {
        maxBytes: maxModelBytes(),
        length: contentLength(req),
        sha256: headers['x-roro-sha256'] || undefined,
      });
      const version = await saveVersion(
        deps.db,
        deps.env.home,
        { projectId: p.id, userId: currentUser(req).id, repo: params.repo },
        input,
        staged,
      );
      res.status(201).json({ version });
    },
  );
  route(
    r,
    {
      method: 'get',
      path: '/models/:repo/versions/:ref',
      summary: 'One version (a number, a tag or latest)',
      access: 'user',
      use: [auth],
      params: VersionPath,
      responses: { 200: one('The version.') },
    },
    async (req, res, { params }) => {
      const p = await project(req);
      res.json({ version: await getVersion(deps.db, p.id, params.repo, params.ref) });
    },
  );
  route(
    r,
    {
      method: 'get',
      path: '/models/:repo/versions/:ref/blob',
      summary: "Download a version's file as stored (x-roro-content-encoding says how it is encoded)",
      access: 'user',
      use: [auth],
      params: VersionPath,
      responses: { 200: { description: 'The model file.', contentType: 'application/octet-stream' } },
    },
    async (req, res, { params }) => {
      const p = await project(req);
      const v = await getVersion(deps.db, p.id, params.repo, params.ref);
      const file = fs.createReadStream(blobPath(deps.env.home, p.id, v.repository, v.version));
      await new Promise<void>((resolve, reject) => file.once('open', () => resolve()).once('error', reject));
      // The model's own encoding goes in a header of roro's, not Content-Encoding, which HTTP clients would decode.
      res.set({
        'content-type': 'application/octet-stream',
        'content-length': String(v.size),
        'x-roro-content-encoding': v.contentEncoding,
        'x-roro-sha256': v.sha256,
        'x-roro-model-version': String(v.version),
        'x-roro-model-id': v.modelId,
      });
      try {
        await pipeline(file, res);
      } catch (err) {
        if (!res.headersSent) throw err;
        res.destroy(); // a client that stopped reading; the headers are gone, so no JSON error either
      }
    },
  );
  route(
    r,
    {
      method: 'get',
      path: '/models/:repo/tags',
      summary: "A model's tags",
      access: 'user',
      use: [auth],
      params: RepoPath,
      responses: { 200: { description: 'The tags.', schema: z.object({ tags: z.array(Tag) }) } },
    },
    async (req, res, { params }) => {
      const p = await project(req);
      res.json({ tags: await listTags(deps.db, p.id, params.repo) });
    },
  );
  route(
    r,
    {
      method: 'put',
      path: '/models/:repo/tags/:tag',
      summary: 'Point a tag at a version',
      access: 'user',
      use: [auth],
      params: TagPath,
      body: z.object({ version: intBody({ min: 1 }).describe('The version to tag.') }),
      responses: { 200: { description: 'The tag.', schema: z.object({ tag: Tag }) } },
    },
    async (req, res, { params, body }) => {
      const p = await project(req);
      res.json({ tag: await setTag(deps.db, p.id, params.repo, checkTag(params.tag), body.version) });
    },
  );
  route(
    r,
    {
      method: 'delete',
      path: '/models/:repo/tags/:tag',
      summary: 'Remove a tag',
      access: 'user',
      use: [auth],
      params: TagPath,
      responses: { 200: { description: 'Removed.', schema: z.object({ deleted: z.string() }) } },
    },
    async (req, res, { params }) => {
      const p = await project(req);
      const tag = checkTag(params.tag);
      await removeTag(deps.db, p.id, params.repo, tag);
      res.json({ deleted: tag });
    },
  );
  return r;
}
