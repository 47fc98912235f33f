import { Router } from 'express';
import { z } from 'zod';
import { intQuery } from '../input.js';
import type { AppDeps } from '../deps.js';
import { projectRouter } from './project-router.js';
import { startStopRoutes } from './workflow-resource-routes.js';
import { getNotebook, listNotebooks, notebookLogs, startNotebook, stopNotebook } from '../notebooks.js';
import { lazyDriver } from '../container-driver.js';
import { route } from '../route.js';
import { Notebook, ProjectPath } from './shapes.js';

const NotebookPath = ProjectPath.extend({ id: z.string().describe('The notebook id.') });

const StartNotebook = z.object({
  size: z.string().optional().describe('A size name such as S1.'),
  lab: z.boolean().optional().describe('true: JupyterLab; false: the classic notebook.'),
});

/** Notebook sessions of one project, under /v1/projects/:name; only members see a project at all. */
export function notebookRoutes(deps: AppDeps): Router {
  const { r, project } = projectRouter(deps, '/notebooks');
  const docker = lazyDriver(deps.env);
  const one = (description: string) => ({ description, schema: z.object({ notebook: Notebook }) });

  route(
    r,
    {
      method: 'get',
      path: '/notebooks',
      summary: "The project's running notebooks (all with all=1)",
      access: 'user',
      params: ProjectPath,
      query: z.object({ all: z.string().optional().describe('1, true or yes: ended ones too.') }),
      responses: {
        200: { description: 'The notebooks.', schema: z.object({ notebooks: z.array(Notebook) }) },
      },
    },
    async (req, res, { query }) => {
      const p = await project(req);
      const all = ['1', 'true', 'yes'].includes(query.all ?? '');
      res.json({ notebooks: await listNotebooks(deps.db, p.id, all) });
    },
  );
  route(
    r,
    {
      method: 'get',
      path: '/notebooks/:id',
      summary: 'One notebook, with its URL while it runs',
      access: 'user',
      params: NotebookPath,
      responses: { 200: one('The notebook.') },
    },
    async (req, res, { params }) => {
      const p = await project(req);
      res.json({ notebook: await getNotebook(deps.env, deps.db, p, params.id) });
    },
  );
  route(
    r,
    {
      method: 'get',
      path: '/notebooks/:id/logs',
      summary: "The last lines of a notebook's container",
      access: 'user',
      params: NotebookPath,
      query: z.object({ tail: intQuery({ min: 1, fallback: 200 }).describe('At most 5000 lines are sent.') }),
      responses: {
        200: { description: 'The lines.', schema: z.looseObject({ lines: z.array(z.unknown()) }) },
      },
    },
    async (req, res, { params, query }) => {
      const p = await project(req);
      res.json(await notebookLogs(deps.env, docker(), deps.db, p, params.id, Math.min(query.tail, 5000)));
    },
  );
  startStopRoutes(
    r,
    { deps, project, plural: 'notebooks', shape: Notebook, body: StartNotebook },
    {
      start: { summary: 'Start a notebook session in the image of the current release', run: startNotebook },
      stop: { summary: 'Stop a notebook session', run: stopNotebook },
    },
  );
  return r;
}
