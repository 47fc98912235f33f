import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../deps.js';
import { projectRouter } from './project-router.js';
import { currentUser } from '../auth.js';
import { createDeploy, createOperation } from '../deploys.js';
import { workflowDeps } from '../workflow-resources.js';
import { NotFoundError, ValidationError } from '../../core/errors.js';
import { serviceUrls } from '../../core/service-urls.js';
import { loadServiceHealth } from '../../domain/service-health.js';
import { lazyDriver } from '../container-driver.js';
import { intBody, intQuery, nameField } from '../input.js';
import { route } from '../route.js';
import { followRoute } from './follow-route.js';
import { Deploy, ProjectPath, StartedDeploy } from './shapes.js';
import { latestRelease } from '../../db/releases.js';
import { setTimeout as sleep } from 'node:timers/promises';

const DEPLOY_COLUMNS = 'id, kind, status, version, error, service, created_at, finished_at';

async function getDeploy(deps: AppDeps, projectId: string, id: string) {
  const res = await deps.db.query(`SELECT ${DEPLOY_COLUMNS} FROM deploys WHERE project_id = $1 AND id = $2`, [
    projectId,
    id,
  ]);
  const d = res.rows[0];
  if (!d) throw new NotFoundError(`Deploy ${id} not found.`);
  return toDeploy(d);
}

async function listDeploys(deps: AppDeps, projectId: string, limit: number) {
  const res = await deps.db.query(
    `SELECT ${DEPLOY_COLUMNS} FROM deploys WHERE project_id = $1 ORDER BY created_at DESC LIMIT $2`,
    [projectId, limit],
  );
  return res.rows.map(toDeploy);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a row of DEPLOY_COLUMNS
function toDeploy(d: any) {
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
async function streamEvents(
  deps: AppDeps,
  req: Request,
  res: Response,
  projectId: string,
  id: string,
  from: number,
) {
  await getDeploy(deps, projectId, id);
  let after = from;
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

const DeployPath = ProjectPath.extend({ id: z.string().describe('The deploy id.') });

const Sha256Header = z.object({
  'x-roro-sha256': z
    .string({ error: "The upload needs an x-roro-sha256 header with the archive's SHA-256 (64 hex digits)" })
    .regex(/^[0-9a-f]{64}$/),
});

const Release = z.looseObject({
  version: z.number(),
  kind: z.string(),
  createdAt: z.string(),
  codeSha256: z.string(),
  current: z.boolean(),
});

export function deployRoutes(deps: AppDeps): Router {
  const { r, project } = projectRouter(deps);
  const docker = lazyDriver(deps.env);
  const accepted = { 202: { description: 'Started.', schema: z.object({ deploy: StartedDeploy }) } };

  route(
    r,
    {
      method: 'post',
      path: '/deploys',
      summary: 'Deploy a project archive (what `roro deploy` uploads)',
      access: 'user',
      params: ProjectPath,
      headers: Sha256Header,
      upload: {
        contentType: 'application/gzip',
        description: 'The project directory as a gzip tar archive.',
      },
      responses: accepted,
    },
    async (req, res, { headers }) => {
      const p = await project(req);
      const deploy = await createDeploy(
        workflowDeps(deps),
        p,
        currentUser(req).id,
        req,
        headers['x-roro-sha256'],
      );
      res.status(202).json({ deploy });
    },
  );
  route(
    r,
    {
      method: 'get',
      path: '/deploys',
      summary: "The project's latest deploys, rollbacks and service actions, newest first",
      access: 'user',
      params: ProjectPath,
      query: z.object({ limit: intQuery({ min: 1, max: 100, fallback: 20 }).describe('At most this many.') }),
      responses: { 200: { description: 'The deploys.', schema: z.object({ deploys: z.array(Deploy) }) } },
    },
    async (req, res, { query }) => {
      const p = await project(req);
      res.json({ deploys: await listDeploys(deps, p.id, query.limit) });
    },
  );
  route(
    r,
    {
      method: 'get',
      path: '/deploys/:id',
      summary: 'One deploy or rollback',
      access: 'user',
      params: DeployPath,
      responses: { 200: { description: 'The deploy.', schema: z.object({ deploy: Deploy }) } },
    },
    async (req, res, { params }) => {
      const p = await project(req);
      res.json({ deploy: await getDeploy(deps, p.id, params.id) });
    },
  );
  followRoute(
    r,
    {
      path: '/deploys/:id/events',
      summary: "Follow a deploy's events until it ends",
      params: DeployPath,
      what: 'events',
      description: 'One JSON event a line ({seq, at, kind, message, data}) until the deploy has ended.',
      contentType: 'application/x-ndjson',
    },
    async (req, res, params, after) => {
      const p = await project(req);
      await streamEvents(deps, req, res, p.id, params.id, after);
    },
  );
  route(
    r,
    {
      method: 'get',
      path: '/releases',
      summary: "The project's releases, newest first",
      access: 'user',
      params: ProjectPath,
      responses: { 200: { description: 'The releases.', schema: z.object({ releases: z.array(Release) }) } },
    },
    async (req, res) => {
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
    },
  );
  route(
    r,
    {
      method: 'post',
      path: '/rollbacks',
      summary: 'Roll back to an earlier release (the one before the current by default)',
      access: 'user',
      params: ProjectPath,
      body: z.object({ version: intBody({ min: 1 }).optional().describe('The release to serve again.') }),
      responses: accepted,
    },
    async (req, res, { body }) => {
      const p = await project(req);
      const current = (await latestRelease(deps.db, p.id))?.version;
      if (!current)
        throw new ValidationError('The project has no release to roll back from.', {
          hint: 'Deploy first with `roro deploy`.',
        });
      const version = body.version ?? current - 1;
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
        deploy: await createOperation(workflowDeps(deps), p, currentUser(req).id, 'rollback', { version }),
      });
    },
  );
  route(
    r,
    {
      method: 'get',
      path: '/services',
      summary: "The project's services and their health",
      access: 'user',
      params: ProjectPath,
      responses: {
        200: {
          description: 'The services.',
          schema: z.object({
            services: z.array(
              z.looseObject({ name: z.string(), status: z.string(), instances: z.number(), url: z.string() }),
            ),
          }),
        },
      },
    },
    async (req, res) => {
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
    },
  );
  route(
    r,
    {
      method: 'post',
      path: '/services/:service/:action',
      summary: 'Start, stop or restart a service',
      access: 'user',
      params: ProjectPath.extend({
        service: nameField('service'),
        action: z.enum(['start', 'stop', 'restart']),
      }),
      responses: accepted,
    },
    async (req, res, { params: { service, action } }) => {
      const p = await project(req);
      const known = await deps.db.query('SELECT 1 FROM services WHERE project_id = $1 AND name = $2', [
        p.id,
        service,
      ]);
      if (!known.rowCount)
        throw new NotFoundError(
          `Service ${service} not found in ${p.name}.`,
          'Run `roro ps` to list services.',
        );
      const deploy = await createOperation(workflowDeps(deps), p, currentUser(req).id, action, { service });
      res.status(202).json({ deploy });
    },
  );
  return r;
}
