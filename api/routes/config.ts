import { Router, type Request } from 'express';
import type { AppDeps } from '../app.js';
import { currentUser, requireAuth } from '../auth.js';
import { getProject } from '../projects.js';
import { changeConfig, checkConfigName, checkConfigValue, listConfig } from '../../domain/config-vars.js';
import { restartRunningServices } from '../deploys.js';
import { RoroError, ValidationError } from '../../core/errors.js';

function parseChange(body: unknown): { set: Record<string, string>; unset: string[]; restart: boolean } {
  const b = (body ?? {}) as { set?: unknown; unset?: unknown; restart?: unknown };
  const set: Record<string, string> = {};
  if (b.set !== undefined) {
    if (typeof b.set !== 'object' || b.set === null || Array.isArray(b.set))
      throw new ValidationError('"set" must be an object of NAME: value.');
    for (const [k, v] of Object.entries(b.set)) set[checkConfigName(k)] = checkConfigValue(k, v);
  }
  if (b.unset !== undefined && !Array.isArray(b.unset))
    throw new ValidationError('"unset" must be a list of names.');
  const unset = ((b.unset as unknown[]) ?? []).map(checkConfigName);
  if (!Object.keys(set).length && !unset.length)
    throw new ValidationError('Nothing to change: give "set" or "unset".', {
      hint: 'Run roro config:set NAME=VALUE.',
    });
  const both = unset.filter((n) => n in set);
  if (both.length) throw new ValidationError(`${both.join(', ')} cannot be set and unset at once.`);
  return { set, unset, restart: b.restart !== false };
}

export function configRoutes(deps: AppDeps): Router {
  const r = Router({ mergeParams: true });
  r.use(requireAuth(deps.db));
  const project = (req: Request) => getProject(deps.db, currentUser(req).id, String(req.params.name));

  // Values only when asked for (`roro config --show`), so a plain listing never puts them on screen.
  r.get('/config', async (req, res) => {
    const p = await project(req);
    res.json({ config: await listConfig(deps.db, deps.env.home, p.id, req.query.values === '1') });
  });
  r.patch('/config', async (req, res) => {
    const p = await project(req);
    const change = parseChange(req.body);
    const { changed } = await changeConfig(deps.db, deps.env.home, p.id, currentUser(req).id, change);
    let restart: { deploy?: unknown; skipped?: string } = { skipped: 'no-restart' };
    if (change.restart && !changed.length) restart = { skipped: 'unchanged' };
    else if (change.restart) {
      if (!deps.temporal)
        throw new RoroError('The API has no Temporal connection.', { code: 'unavailable', status: 503 });
      const deploy = await restartRunningServices(
        { env: deps.env, db: deps.db, temporal: deps.temporal },
        p,
        currentUser(req).id,
      ).catch((err: unknown) => {
        // The values are stored either way; say why the services did not roll instead of failing.
        if (err instanceof RoroError && err.status === 409) return { error: err.message };
        throw err;
      });
      restart =
        deploy === null
          ? { skipped: 'no-services' }
          : 'error' in deploy
            ? { skipped: deploy.error }
            : { deploy };
    }
    res.json({ set: Object.keys(change.set), unset: change.unset, changed, restart });
  });
  return r;
}
