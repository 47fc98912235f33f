import { Router } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../deps.js';
import { route } from '../route.js';

/** The API's own routes under /v1: its health and its OpenAPI document. */
export function metaRoutes(deps: AppDeps, document: () => unknown): Router {
  const r = Router();
  route(
    r,
    {
      method: 'get',
      path: '/health',
      summary: 'The API answers and reaches PostgreSQL',
      access: 'public',
      responses: { 200: { description: 'Healthy.', schema: z.object({ ok: z.literal(true) }) } },
    },
    async (_req, res) => {
      await deps.db.query('SELECT 1');
      res.json({ ok: true });
    },
  );
  route(
    r,
    {
      method: 'get',
      path: '/openapi.json',
      summary: 'This OpenAPI 3.1 document, built from the schemas that validate every request',
      access: 'public',
      responses: {
        200: {
          description: 'The document.',
          schema: z.looseObject({ openapi: z.string(), paths: z.record(z.string(), z.unknown()) }),
        },
      },
    },
    (_req, res) => {
      res.json(document());
    },
  );
  return r;
}
