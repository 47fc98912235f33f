import { Router, type Request } from 'express';
import { intInput } from '../input.js';
import type { AppDeps } from '../app.js';
import { currentUser, requireAuth } from '../auth.js';
import { getProject } from '../projects.js';
import {
  getJob,
  jobLogs,
  listJobs,
  listTasks,
  serviceLogs,
  startJob,
  stopJob,
  syncTasksFromRelease,
  taskAction,
} from '../jobs.js';
import { RoroError } from '../../core/errors.js';
import { checkName } from '../../core/names.js';
import { lazyDriver } from '../container-driver.js';

function temporalOf(deps: AppDeps) {
  if (!deps.temporal)
    throw new RoroError('The API has no Temporal connection.', { code: 'unavailable', status: 503 });
  return deps.temporal;
}

/** Jobs, job logs, service logs and tasks of one project, under /v1/projects/:name. */
export function jobRoutes(deps: AppDeps): Router {
  const r = Router({ mergeParams: true });
  r.use(requireAuth(deps.db));
  const project = (req: Request) => getProject(deps.db, currentUser(req).id, String(req.params.name));
  // Read-only use (logs of service containers).
  const docker = lazyDriver(deps.env);

  r.post('/jobs', async (req, res) => {
    const p = await project(req);
    const job = await startJob(
      { env: deps.env, db: deps.db, temporal: temporalOf(deps) },
      p,
      currentUser(req).id,
      req.body ?? {},
    );
    res.status(202).json({ job });
  });
  r.get('/jobs', async (req, res) => {
    const p = await project(req);
    const all = ['1', 'true', 'yes'].includes(String(req.query.all ?? ''));
    res.json({
      jobs: await listJobs(deps.db, p.id, all, intInput(req.query.limit, 'query.limit', { fallback: 200 })),
    });
  });
  r.get('/jobs/:id', async (req, res) => {
    const p = await project(req);
    res.json({ job: await getJob(deps.db, p.id, String(req.params.id)) });
  });
  r.get('/jobs/:id/logs', async (req, res) => {
    const p = await project(req);
    res.json(
      await jobLogs(
        deps.db,
        p.id,
        String(req.params.id),
        intInput(req.query.after, 'query.after', { fallback: 0 }),
        intInput(req.query.limit, 'query.limit', { fallback: 1000 }),
      ),
    );
  });
  r.post('/jobs/:id/stop', async (req, res) => {
    const p = await project(req);
    res
      .status(202)
      .json({ job: await stopJob({ db: deps.db, temporal: temporalOf(deps) }, p.id, String(req.params.id)) });
  });
  r.get('/services/:service/logs', async (req, res) => {
    const p = await project(req);
    const service = checkName('service', req.params.service);
    const since = typeof req.query.since === 'string' && req.query.since ? req.query.since : undefined;
    res.json(
      await serviceLogs(docker(), deps.db, p, service, {
        tail: Math.min(intInput(req.query.tail, 'query.tail', { min: 1, fallback: 200 }), 5000),
        since,
      }),
    );
  });
  r.get('/tasks', async (req, res) => {
    const p = await project(req);
    res.json({ tasks: await listTasks(temporalOf(deps), deps.db, p) });
  });
  r.post('/tasks/sync', async (req, res) => {
    const p = await project(req);
    res.json({
      sync: await syncTasksFromRelease({ env: deps.env, db: deps.db, temporal: temporalOf(deps) }, p),
    });
  });
  r.post('/tasks/:task/:action', async (req, res) => {
    const p = await project(req);
    const name = checkName('task', req.params.task);
    res.json({ task: await taskAction(temporalOf(deps), deps.db, p, name, String(req.params.action)) });
  });
  return r;
}
