import type { Request, RequestHandler, Response, Router } from 'express';
import type { z } from 'zod';
import { validate } from './refusal.js';

/** One documented response: JSON by default, or another content type (a stream, a file). */
interface Reply {
  description: string;
  schema?: z.ZodType;
  contentType?: string;
}

type Schema = z.ZodType | undefined;
type Parsed<S extends Schema> = S extends z.ZodType ? z.output<S> : undefined;

/**
 * A route of the API: its request schemas (path, query, headers, JSON body) validate every request
 * before the handler runs, and the same schemas, with the responses, make its OpenAPI operation.
 */
interface RouteSpec<P extends Schema, Q extends Schema, H extends Schema, B extends Schema> {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** The Express path inside its router, e.g. `/deploys/:id`. */
  path: string;
  summary: string;
  /** Who may call it: anyone, a signed-in user (a member, for project routes) or an admin. */
  access: 'public' | 'user' | 'admin';
  params?: P;
  query?: Q;
  headers?: H;
  body?: B;
  /** A body that is not JSON (an archive, a file): its content type; the handler reads the stream. */
  upload?: { contentType: string; description: string };
  responses: Record<number, Reply>;
  /** Middleware run before validation (authentication). */
  use?: RequestHandler[];
}

interface RouteInput<P extends Schema, Q extends Schema, H extends Schema, B extends Schema> {
  params: Parsed<P>;
  query: Parsed<Q>;
  headers: Parsed<H>;
  body: Parsed<B>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a list of routes of any schemas
export type AnyRouteSpec = RouteSpec<any, any, any, any>;

const documented = new WeakMap<Router, AnyRouteSpec[]>();

/** The routes registered on a router through route(), in order. */
export function routesOf(router: Router): readonly AnyRouteSpec[] {
  return documented.get(router) ?? [];
}

function parse<S extends Schema>(at: string, schema: S | undefined, value: unknown): Parsed<S> {
  return (schema ? validate(at, schema, value) : undefined) as Parsed<S>;
}

/** Registers a route on the router: validation from its schemas, then the handler. */
export function route<
  P extends Schema = undefined,
  Q extends Schema = undefined,
  H extends Schema = undefined,
  B extends Schema = undefined,
>(
  router: Router,
  spec: RouteSpec<P, Q, H, B>,
  handler: (req: Request, res: Response, input: RouteInput<P, Q, H, B>) => Promise<void> | void,
): void {
  documented.set(router, [...routesOf(router), spec]);
  router[spec.method](spec.path, ...(spec.use ?? []), async (req: Request, res: Response) => {
    const input: RouteInput<P, Q, H, B> = {
      params: parse('path', spec.params, req.params),
      query: parse('query', spec.query, req.query),
      headers: parse('header', spec.headers, req.headers),
      // No body at all reads as an empty object, so optional fields stay optional.
      body: parse('body', spec.body, req.body ?? {}),
    };
    await handler(req, res, input);
  });
}
