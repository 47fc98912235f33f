import { Router, type Request } from 'express';
import { intInput } from '../input.js';
import type { AppDeps } from '../app.js';
import { currentUser, requireAuth } from '../auth.js';
import { getProject } from '../projects.js';
import { getNotebook, listNotebooks, notebookLogs, startNotebook, stopNotebook } from '../notebooks.js';
import { RoroError } from '../../core/errors.js';
import { lazyDriver } from '../container-driver.js';

function temporalOf(deps: AppDeps) {
  if (!deps.temporal)
    throw new RoroError('The API has no Temporal connection.', { code: 'unavailable', status: 503 });
  return deps.temporal;
}

/** Notebook sessions of one project, under /v1/projects/:name; only members see a project at all. */
export function notebookRoutes(deps: AppDeps): Router {
  const r = Router({ mergeParams: true });
  r.use('/notebooks', requireAuth(deps.db));
  const project = (req: Request) => getProject(deps.db, currentUser(req).id, String(req.params.name));
  const docker = lazyDriver(deps.env);

  r.post('/notebooks', async (req, res) => {
    const p = await project(req);
    const body = req.body ?? {};
    const notebook = await startNotebook(
      { env: deps.env, db: deps.db, temporal: temporalOf(deps) },
      p,
      currentUser(req).id,
      { size: body.size, lab: body.lab },
    );
    res.status(202).json({ notebook });
  });
  r.get('/notebooks', async (req, res) => {
    const p = await project(req);
    const all = ['1', 'true', 'yes'].includes(String(req.query.all ?? ''));
    res.json({ notebooks: await listNotebooks(deps.db, p.id, all) });
  });
  r.get('/notebooks/:id', async (req, res) => {
    const p = await project(req);
    res.json({ notebook: await getNotebook(deps.env, deps.db, p, String(req.params.id)) });
  });
  r.get('/notebooks/:id/logs', async (req, res) => {
    const p = await project(req);
    const tail = Math.min(intInput(req.query.tail, 'query.tail', { min: 1, fallback: 200 }), 5000);
    res.json(await notebookLogs(deps.env, docker(), deps.db, p, String(req.params.id), tail));
  });
  r.post('/notebooks/:id/stop', async (req, res) => {
    const p = await project(req);
    const notebook = await stopNotebook(
      { db: deps.db, temporal: temporalOf(deps) },
      p.id,
      String(req.params.id),
    );
    res.status(202).json({ notebook });
  });
  return r;
}
