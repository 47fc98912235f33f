import express, { type Router } from 'express';
import type { AppDeps } from './deps.js';
import { errorHandler, notFound } from './errors.js';
import { poolPort } from '../db/pool.js';
import { rejectNulBytes } from './input.js';
import { requestLog } from './request-log.js';
import { openApiDocument } from './openapi.js';
import { metaRoutes } from './routes/meta.js';
import { authRoutes } from './routes/auth.js';
import { sessionRoutes } from './routes/sessions.js';
import { LoginThrottle } from './login-throttle.js';
import { projectRoutes } from './routes/projects.js';
import { userRoutes } from './routes/users.js';
import { deployRoutes } from './routes/deploys.js';
import { volumeRoutes } from './routes/volumes.js';
import { configRoutes } from './routes/config.js';
import { jobRoutes } from './routes/jobs.js';
import { notebookRoutes } from './routes/notebooks.js';
import { modelRoutes } from './routes/models.js';
import { quotaRoutes } from './routes/quotas.js';
import { nodeRoutes } from './routes/nodes.js';

/** The version of the /v1 API contract (the OpenAPI document's info.version). */
const API_VERSION = '1.0.0';

/** Bodies of login and user routes: an email, a password and a flag. */
const SMALL_JSON_LIMIT = 16 * 1024;

export type { AppDeps } from './deps.js';

/** Builds the platform API without listening, so tests can run it in-process. */
export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  // First, so its duration covers body parsing and its status every refusal.
  if (deps.requestLog) app.use(requestLog(() => mounts, deps.requestLog));
  // Project uploads are raw gzip streams; every other body is JSON. Account routes take small
  // bodies (the first parser that matches a request reads it; the others skip it).
  app.use(['/v1/auth', '/v1/sessions', '/v1/users'], express.json({ limit: SMALL_JSON_LIMIT }));
  app.use(express.json({ limit: '1mb' }));
  app.use(rejectNulBytes);
  // Each router is mounted and documented from the same list (api/openapi.ts).
  let document: unknown;
  // One throttle for both ways of signing in (the CLI's token, the dashboard's session).
  const throttle = new LoginThrottle();
  const mounts: [string, Router][] = [
    ['/v1', metaRoutes(deps, () => (document ??= openApiDocument(mounts, API_VERSION)))],
    ['/v1/auth', authRoutes(deps, throttle)],
    ['/v1/sessions', sessionRoutes(deps, throttle)],
    ['/v1/users', userRoutes(deps)],
    ['/v1/nodes', nodeRoutes(deps)],
    ['/v1/projects/:name', deployRoutes(deps)],
    ['/v1/projects/:name', volumeRoutes(deps)],
    ['/v1/projects/:name', configRoutes(deps)],
    ['/v1/projects/:name', jobRoutes(deps)],
    ['/v1/projects/:name', modelRoutes(deps)],
    ['/v1/projects/:name', notebookRoutes(deps)],
    ['/v1/projects/:name', quotaRoutes(deps)],
    ['/v1/projects', projectRoutes(deps)],
  ];
  for (const [at, router] of mounts) app.use(at, router);
  app.use(notFound);
  app.use(errorHandler(deps.log, { databasePort: poolPort(deps.db) }));
  return app;
}
