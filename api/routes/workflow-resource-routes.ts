import type { Request, Router } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../deps.js';
import { currentUser } from '../auth.js';
import type { Project } from '../projects.js';
import { route } from '../route.js';
import { workflowDeps, type WorkflowDeps } from '../workflow-resources.js';
import { ProjectPath } from './shapes.js';

/** A workflow-backed resource of a project (jobs, notebook sessions) in the API. */
interface WorkflowResourceApi<B extends z.ZodObject> {
  deps: AppDeps;
  project: (req: Request) => Promise<Project>;
  /** Its path under the project, `jobs`; an answer carries one under the singular, `{job: ...}`. */
  plural: string;
  shape: z.ZodType;
  /** The request body that starts one. */
  body: B;
}

/** The summaries of the two routes and what they run. */
interface StartStop<B extends z.ZodObject, T> {
  start: {
    summary: string;
    run: (deps: WorkflowDeps, project: Project, userId: string, body: z.output<B>) => Promise<T>;
  };
  stop: { summary: string; run: (deps: WorkflowDeps, projectId: string, id: string) => Promise<T> };
}

/**
 * The two routes every workflow-backed resource has: POST /<plural> records one and starts its
 * workflow, POST /<plural>/:id/stop cancels that workflow; both answer 202 with the resource.
 */
export function startStopRoutes<B extends z.ZodObject, T>(
  r: Router,
  api: WorkflowResourceApi<B>,
  spec: StartStop<B, T>,
): void {
  const { deps, project, plural } = api;
  const singular = plural.replace(/s$/, '');
  const accepted = (description: string) => ({
    202: { description, schema: z.object({ [singular]: api.shape }) },
  });
  route(
    r,
    {
      method: 'post',
      path: `/${plural}`,
      summary: spec.start.summary,
      access: 'user',
      params: ProjectPath,
      body: api.body,
      responses: accepted('Started.'),
    },
    async (req, res, { body }) => {
      const p = await project(req);
      const userId = currentUser(req).id;
      res
        .status(202)
        .json({ [singular]: await spec.start.run(workflowDeps(deps), p, userId, body as z.output<B>) });
    },
  );
  route(
    r,
    {
      method: 'post',
      path: `/${plural}/:id/stop`,
      summary: spec.stop.summary,
      access: 'user',
      params: ProjectPath.extend({ id: z.string().describe(`The ${singular} id.`) }),
      responses: accepted('Stopping.'),
    },
    async (req, res, { params }) => {
      const p = await project(req);
      res.status(202).json({ [singular]: await spec.stop.run(workflowDeps(deps), p.id, params.id) });
    },
  );
}
