import express from 'express';
import type { Pool } from 'pg';
import type { Client } from '@temporalio/client';
import type { PlatformEnv } from '../core/config.js';
import { errorHandler, notFound } from './errors.js';
import { poolPort } from '../db/pool.js';
import { rejectNulBytes } from './input.js';
import { authRoutes } from './routes/auth.js';
import { projectRoutes } from './routes/projects.js';
import { userRoutes } from './routes/users.js';
import { deployRoutes } from './routes/deploys.js';
import { volumeRoutes } from './routes/volumes.js';
import { configRoutes } from './routes/config.js';
import { jobRoutes } from './routes/jobs.js';
import { notebookRoutes } from './routes/notebooks.js';
import { modelRoutes } from './routes/models.js';
import { quotaRoutes } from './routes/quotas.js';

/** Bodies of login and user routes: an email, a password and a flag. */
export const SMALL_JSON_LIMIT = 16 * 1024;

export interface AppDeps {
  env: PlatformEnv;
  db: Pool;
  temporal?: Client;
  log: (line: string) => void;
}

/** Builds the platform API without listening, so tests can run it in-process. */
export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  // Project uploads are raw gzip streams; every other body is JSON. Account routes take small
  // bodies (the first parser that matches a request reads it; the others skip it).
  app.use(['/v1/auth', '/v1/users'], express.json({ limit: SMALL_JSON_LIMIT }));
  app.use(express.json({ limit: '1mb' }));
  app.use(rejectNulBytes);
  app.get('/v1/health', async (_req, res) => {
    await deps.db.query('SELECT 1');
    res.json({ ok: true });
  });
  app.use('/v1/auth', authRoutes(deps));
  app.use('/v1/users', userRoutes(deps));
  app.use('/v1/projects/:name', deployRoutes(deps));
  app.use('/v1/projects/:name', volumeRoutes(deps));
  app.use('/v1/projects/:name', configRoutes(deps));
  app.use('/v1/projects/:name', jobRoutes(deps));
  app.use('/v1/projects/:name', modelRoutes(deps));
  app.use('/v1/projects/:name', notebookRoutes(deps));
  app.use('/v1/projects/:name', quotaRoutes(deps));
  app.use('/v1/projects', projectRoutes(deps));
  app.use(notFound);
  app.use(errorHandler(deps.log, { databasePort: poolPort(deps.db) }));
  return app;
}
