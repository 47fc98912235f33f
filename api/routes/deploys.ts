import { Router, type Request, type Response } from 'express';
import type { AppDeps } from '../app.js';
import { currentUser, requireAuth } from '../auth.js';
import { getProject } from '../projects.js';
import { createDeploy, createOperation, type DeployDeps } from '../deploys.js';
import { NotFoundError, RoroError, ValidationError } from '../../core/errors.js';
import { checkName } from '../../core/names.js';
import { serviceUrls } from '../../core/service-urls.js';
import { loadServiceHealth } from '../../domain/service-health.js';
import { lazyDriver } from '../container-driver.js';
import { intInput } from '../input.js';
import { setTimeout as sleep } from 'node:timers/promises';

function deployDeps(deps: AppDeps): DeployDeps {
  if (!deps.temporal)
    throw new RoroError('The API has no Temporal connection.', { code: 'unavailable', status: 503 });
  return { env: deps.env, db: deps.db, temporal: deps.temporal };
}

async function getDeploy(deps: AppDeps, projectId: string, id: string) {
  const res = await deps.db.query(
    `SELECT id, kind, status, version, error, service, created_at, finished_at FROM deploys WHERE project_id = $1 AND id = $2`,
    [projectId, id],
  );
  const d = res.rows[0];
  if (!d) throw new NotFoundError(`Deploy ${id} not found.`);
  return {
    id: d.id,
    kind: d.kind,
    status: d.status,
    version: d.version ?? undefined,
    error: d.error ?? undefined,
    service: d.service ?? undefined,
    createdAt: d.created_at.toISOString(),
    finishedAt: d.finished_at?.toISOString(),
  };
}

/** NDJSON until the deploy has ended and every event is sent (or five minutes pass). */
async function streamEvents(deps: AppDeps, req: Request, res: Response, projectId: string, id: string) {
  await getDeploy(deps, projectId, id);
  let after = intInput(req.query.after, 'query.after', { fallback: 0 });
  res.status(200).type('application/x-ndjson');
  res.setHeader('cache-control', 'no-store');
  let closed = false;
  req.on('close', () => (closed = true));
  const deadline = Date.now() + 5 * 60 * 1000;
  while (!closed && Date.now() < deadline) {
    const ev = await deps.db.query(
      'SELECT seq, at, kind, message, data FROM deploy_events WHERE deploy_id = $1 AND seq > $2 ORDER BY seq LIMIT 500',
      [id, after],
    );
    for (const e of ev.rows) {
      after = Number(e.seq);
      res.write(
        `${JSON.stringify({ seq: after, at: e.at.toISOString(), kind: e.kind, message: e.message, ...(e.data ? { data: e.data } : {}) })}\n`,
      );
    }
    if (ev.rows.length === 0) {
      const st = await deps.db.query('SELECT status FROM deploys WHERE id = $1', [id]);
      if (st.rows[0]?.status !== 'running') break;
      await sleep(300);
    }
  }
  res.end();
}

export function deployRoutes(deps: AppDeps): Router {
  const r = Router({ mergeParams: true });
  r.use(requireAuth(deps.db));
  const project = (req: Request) => getProject(deps.db, currentUser(req).id, String(req.params.name));
  const docker = lazyDriver(deps.env);

  r.post('/deploys', async (req, res) => {
    const p = await project(req);
    const deploy = await createDeploy(
      deployDeps(deps),
      p,
      currentUser(req).id,
      req,
      req.get('x-roro-sha256'),
    );
    res.status(202).json({ deploy });
  });
  r.get('/deploys/:id', async (req, res) => {
    const p = await project(req);
    res.json({ deploy: await getDeploy(deps, p.id, req.params.id as string) });
  });
  r.get('/deploys/:id/events', async (req, res) => {
    const p = await project(req);
    await streamEvents(deps, req, res, p.id, req.params.id as string);
  });
  r.get('/releases', async (req, res) => {
    const p = await project(req);
    const rows = await deps.db.query(
      `SELECT r.version, r.kind, r.created_at, u.email, r.code_sha256, r.image, r.rollback_of
       FROM releases r LEFT JOIN users u ON u.id = r.created_by WHERE r.project_id = $1 ORDER BY r.version DESC`,
      [p.id],
    );
    const current = rows.rows[0]?.version;
    res.json({
      releases: rows.rows.map((x) => ({
        version: x.version,
        kind: x.kind,
        createdAt: x.created_at.toISOString(),
        createdBy: x.email ?? undefined,
        codeSha256: x.code_sha256,
        image: x.image,
        current: x.version === current,
        rollbackOf: x.rollback_of ?? undefined,
      })),
    });
  });
  r.post('/rollbacks', async (req, res) => {
    const p = await project(req);
    const cur = await deps.db.query<{ version: number }>(
      'SELECT max(version) AS version FROM releases WHERE project_id = $1',
      [p.id],
    );
    const current = cur.rows[0]?.version;
    if (!current)
      throw new ValidationError('The project has no release to roll back from.', {
        hint: 'Deploy first with `roro deploy`.',
      });
    const version =
      req.body?.version === undefined ? current - 1 : intInput(req.body.version, 'body.version', { min: 1 });
    if (version < 1) {
      throw new ValidationError('There is no release before version 1.', {
        hint: 'Run `roro releases` to list versions.',
      });
    }
    const exists = await deps.db.query('SELECT 1 FROM releases WHERE project_id = $1 AND version = $2', [
      p.id,
      version,
    ]);
    if (!exists.rowCount)
      throw new NotFoundError(
        `Release ${version} of ${p.name} does not exist.`,
        'Run `roro releases` to list versions.',
      );
    res.status(202).json({
      deploy: await createOperation(deployDeps(deps), p, currentUser(req).id, 'rollback', { version }),
    });
  });
  r.get('/services', async (req, res) => {
    const p = await project(req);
    const e = deps.env;
    const services = await loadServiceHealth(deps.db, docker(), p);
    res.json({
      services: services.map((s) => ({
        ...s,
        status: s.state,
        instances: s.desired,
        url: serviceUrls(e.gatewayUrl, e.domain, e.ports.gatewayHttps, p.name, s.name).url,
      })),
    });
  });
  r.post('/services/:service/:action', async (req, res) => {
    const p = await project(req);
    const action = req.params.action as string;
    if (!['start', 'stop', 'restart'].includes(action))
      throw new NotFoundError(`No service action ${action}.`, 'Use start, stop or restart.');
    const service = checkName('service', req.params.service);
    const known = await deps.db.query('SELECT 1 FROM services WHERE project_id = $1 AND name = $2', [
      p.id,
      service,
    ]);
    if (!known.rowCount)
      throw new NotFoundError(
        `Service ${service} not found in ${p.name}.`,
        'Run `roro ps` to list services.',
      );
    const deploy = await createOperation(
      deployDeps(deps),
      p,
      currentUser(req).id,
      action as 'start' | 'stop' | 'restart',
      { service },
    );
    res.status(202).json({ deploy });
  });
  return r;
}
