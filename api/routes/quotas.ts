import { Router } from 'express';
import { z } from 'zod';
import { intBody } from '../input.js';
import { route } from '../route.js';
import { ProjectPath, Quota } from './shapes.js';
import type { AppDeps } from '../deps.js';
import { projectRouter } from './project-router.js';
import { requireAdmin } from '../auth.js';
import { NotFoundError } from '../../core/errors.js';
import { projectQuotas, setProjectQuotas, volumeUsage } from '../quotas.js';
import { parseQuotaSettings, QUOTA_KEYS, type QuotaName, type Quotas } from '../../core/quotas.js';

/** What the project uses now, next to each quota. */
async function usage(deps: AppDeps, projectId: string): Promise<Quotas> {
  const res = await deps.db.query<{ jobs: string; services: string; replicas: string }>(
    `SELECT (SELECT count(*) FROM jobs WHERE project_id = $1 AND status = 'running') AS jobs,
            (SELECT count(*) FROM services WHERE project_id = $1 AND desired = 'running') AS services,
            (SELECT COALESCE(sum(instances), 0) FROM services WHERE project_id = $1 AND desired = 'running') AS replicas`,
    [projectId],
  );
  const row = res.rows[0]!;
  return {
    runningJobs: Number(row.jobs),
    services: Number(row.services),
    replicas: Number(row.replicas),
    volumeBytes: await volumeUsage(deps.env.home, projectId),
  };
}

function view(quotas: Quotas, used: Quotas) {
  return (Object.keys(QUOTA_KEYS) as QuotaName[]).map((name) => ({
    name: QUOTA_KEYS[name].key,
    limit: quotas[name],
    used: used[name],
  }));
}

const count = () => intBody({ max: 100_000 }).nullable().optional();

/** Quota keys as the CLI spells them; parseQuotaSettings refuses any other key, listing these. */
const QuotaSettings = z.looseObject({
  running_jobs: count(),
  services: count(),
  replicas: count(),
  volume_bytes: intBody({ max: Number.MAX_SAFE_INTEGER }).nullable().optional(),
});

/** A project's quotas, under /v1/projects/:name/quotas: members read them, admins set them. */
export function quotaRoutes(deps: AppDeps): Router {
  const { r, project } = projectRouter(deps);
  route(
    r,
    {
      method: 'get',
      path: '/quotas',
      summary: "The project's quotas and what it uses",
      access: 'user',
      params: ProjectPath,
      responses: { 200: { description: 'The quotas.', schema: z.object({ quotas: z.array(Quota) }) } },
    },
    async (req, res) => {
      const p = await project(req);
      res.json({ quotas: view(await projectQuotas(deps.db, p.id), await usage(deps, p.id)) });
    },
  );
  route(
    r,
    {
      method: 'put',
      path: '/quotas',
      summary: "Set a project's quotas (admins, member or not); null restores the default",
      access: 'admin',
      use: [requireAdmin],
      params: ProjectPath,
      body: QuotaSettings,
      responses: { 200: { description: 'The quotas now.', schema: z.object({ quotas: z.array(Quota) }) } },
    },
    async (_req, res, { params, body }) => {
      const found = await deps.db.query<{ id: string }>('SELECT id::text FROM projects WHERE name = $1', [
        params.name,
      ]);
      if (!found.rows[0]) throw new NotFoundError(`Project ${params.name} not found.`);
      const p = { id: found.rows[0].id };
      const quotas = await setProjectQuotas(deps.db, p.id, parseQuotaSettings(body));
      res.json({ quotas: view(quotas, await usage(deps, p.id)) });
    },
  );
  return r;
}
