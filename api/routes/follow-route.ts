import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import { intQuery } from '../input.js';
import { route } from '../route.js';

/**
 * A GET that follows something as it is written (a deploy's events, a job's log lines) as a stream,
 * resuming after the `after` sequence number a reconnecting client already has.
 */
export function followRoute<P extends z.ZodType>(
  r: Router,
  spec: { path: string; summary: string; params: P; what: string; description: string; contentType: string },
  follow: (req: Request, res: Response, params: z.output<P>, after: number) => Promise<void>,
): void {
  route(
    r,
    {
      method: 'get',
      path: spec.path,
      summary: spec.summary,
      access: 'user',
      params: spec.params,
      query: z.object({
        after: intQuery({ fallback: 0 }).describe(`Send only ${spec.what} after this seq.`),
      }),
      responses: { 200: { description: spec.description, contentType: spec.contentType } },
    },
    (req, res, { params, query }) => follow(req, res, params as z.output<P>, query.after),
  );
}
