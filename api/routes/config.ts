import { Router } from 'express';
import { z } from 'zod';
import { route } from '../route.js';
import { ProjectPath } from './shapes.js';
import type { AppDeps } from '../deps.js';
import { projectRouter } from './project-router.js';
import { currentUser } from '../auth.js';
import { changeConfig, checkConfigName, checkConfigValue, listConfig } from '../../domain/config-vars.js';
import { restartRunningServices } from '../deploys.js';
import { workflowDeps } from '../workflow-resources.js';
import { RoroError, ValidationError } from '../../core/errors.js';

const Change = z.object({
  set: z.record(z.string(), z.string()).optional().describe('NAME: value pairs to set.'),
  unset: z.array(z.string()).optional().describe('Names to remove.'),
  restart: z.boolean().optional().describe('false: store only; running services roll on their next deploy.'),
});

/** The rules a schema cannot state: names, value sizes, something to do, no name both set and unset. */
function checkChange(body: z.output<typeof Change>): {
  set: Record<string, string>;
  unset: string[];
  restart: boolean;
} {
  const set: Record<string, string> = {};
  for (const [k, v] of Object.entries(body.set ?? {})) set[checkConfigName(k)] = checkConfigValue(k, v);
  const unset = (body.unset ?? []).map(checkConfigName);
  if (!Object.keys(set).length && !unset.length)
    throw new ValidationError('Nothing to change: give "set" or "unset".', {
      hint: 'Run roro config:set NAME=VALUE.',
    });
  const both = unset.filter((n) => n in set);
  if (both.length) throw new ValidationError(`${both.join(', ')} cannot be set and unset at once.`);
  return { set, unset, restart: body.restart !== false };
}

export function configRoutes(deps: AppDeps): Router {
  const { r, project } = projectRouter(deps);

  // Values only when asked for (`roro config --show`), so a plain listing never puts them on screen.
  route(
    r,
    {
      method: 'get',
      path: '/config',
      summary: "The project's config vars (values with values=1)",
      access: 'user',
      params: ProjectPath,
      query: z.object({ values: z.string().optional().describe('1: include the values.') }),
      responses: {
        200: {
          description: 'The config vars.',
          schema: z.object({ config: z.array(z.looseObject({ name: z.string() })) }),
        },
      },
    },
    async (req, res, { query }) => {
      const p = await project(req);
      res.json({ config: await listConfig(deps.db, deps.env.home, p.id, query.values === '1') });
    },
  );
  route(
    r,
    {
      method: 'patch',
      path: '/config',
      summary: 'Set and unset config vars; running services restart with them unless restart is false',
      access: 'user',
      params: ProjectPath,
      body: Change,
      responses: {
        200: {
          description: 'What changed and the restart it started.',
          schema: z.object({
            set: z.array(z.string()),
            unset: z.array(z.string()),
            changed: z.array(z.string()),
            restart: z.looseObject({}),
          }),
        },
      },
    },
    async (req, res, { body }) => {
      const p = await project(req);
      const change = checkChange(body);
      const { changed } = await changeConfig(deps.db, deps.env.home, p.id, currentUser(req).id, change);
      let restart: { deploy?: unknown; skipped?: string } = { skipped: 'no-restart' };
      if (change.restart && !changed.length) restart = { skipped: 'unchanged' };
      else if (change.restart) {
        const deploy = await restartRunningServices(workflowDeps(deps), p, currentUser(req).id).catch(
          (err: unknown) => {
            // The values are stored either way; say why the services did not roll instead of failing.
            if (err instanceof RoroError && err.status === 409) return { error: err.message };
            throw err;
          },
        );
        restart =
          deploy === null
            ? { skipped: 'no-services' }
            : 'error' in deploy
              ? { skipped: deploy.error }
              : { deploy };
      }
      res.json({ set: Object.keys(change.set), unset: change.unset, changed, restart });
    },
  );
  return r;
}
