import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Router, type Request } from 'express';
import { intInput } from '../input.js';
import type { AppDeps } from '../app.js';
import { contentLength } from '../request.js';
import { currentUser, requireAuth } from '../auth.js';
import { getProject } from '../projects.js';
import {
  checkNewVersion,
  checkRepoName,
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
export const MODEL_META_HEADER = 'x-roro-model';

function newVersionInput(req: Request): NewVersionInput {
  const raw = req.get(MODEL_META_HEADER);
  if (!raw) return {};
  try {
    const v = JSON.parse(decodeURIComponent(raw)) as unknown;
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as NewVersionInput;
  } catch {
    /* reported below */
  }
  throw new ValidationError(`The ${MODEL_META_HEADER} header must be URI-encoded JSON object.`);
}

const limitParam = (v: unknown) => Math.min(intInput(v, 'query.limit', { min: 1, fallback: 100 }), 1000);

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
  const repo = (req: Request) => checkRepoName(req.params.repo);

  r.get('/models', auth, async (req, res) => {
    const p = await project(req);
    res.json({ repositories: await listRepositories(deps.db, p.id) });
  });
  r.get('/models/:repo/versions', auth, async (req, res) => {
    const p = await project(req);
    res.json({ versions: await listVersions(deps.db, p.id, repo(req), limitParam(req.query.limit)) });
  });
  r.post('/models/:repo/versions', auth, async (req, res) => {
    const p = await project(req);
    const name = repo(req);
    const input = newVersionInput(req);
    // Bad metadata is refused before a byte of the body is stored.
    checkNewVersion(input);
    const staged = await stageBlob(repoDir(deps.env.home, p.id, name), req, {
      maxBytes: maxModelBytes(),
      length: contentLength(req),
      sha256: req.get('x-roro-sha256') || undefined,
    });
    const version = await saveVersion(
      deps.db,
      deps.env.home,
      { projectId: p.id, userId: currentUser(req).id, repo: name },
      input,
      staged,
    );
    res.status(201).json({ version });
  });
  r.get('/models/:repo/versions/:ref', auth, async (req, res) => {
    const p = await project(req);
    res.json({ version: await getVersion(deps.db, p.id, repo(req), String(req.params.ref)) });
  });
  r.get('/models/:repo/versions/:ref/blob', auth, async (req, res) => {
    const p = await project(req);
    const v = await getVersion(deps.db, p.id, repo(req), String(req.params.ref));
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
  });
  r.get('/models/:repo/tags', auth, async (req, res) => {
    const p = await project(req);
    res.json({ tags: await listTags(deps.db, p.id, repo(req)) });
  });
  r.put('/models/:repo/tags/:tag', auth, async (req, res) => {
    const p = await project(req);
    if (req.body?.version === undefined)
      throw new ValidationError('Send {"version": N} with the version number to tag.');
    const version = intInput(req.body.version, 'body.version', { min: 1 });
    res.json({ tag: await setTag(deps.db, p.id, repo(req), checkTag(req.params.tag), version) });
  });
  r.delete('/models/:repo/tags/:tag', auth, async (req, res) => {
    const p = await project(req);
    const tag = checkTag(req.params.tag);
    await removeTag(deps.db, p.id, repo(req), tag);
    res.json({ deleted: tag });
  });
  return r;
}
