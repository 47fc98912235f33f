import type { NextFunction, Request, Response, Router } from 'express';
import { routesOf } from './route.js';

/** One API request as the log records it: never its URL, headers or body, which may carry secrets. */
export interface RequestLine {
  method: string;
  /** The route's pattern (`/v1/projects/:name/jobs/:id`), or null for a path no route serves. */
  route: string | null;
  status: number;
  durationMs: number;
  /** The caller's email once authenticated; a container's project token acts as its owner. */
  user?: string;
  userId?: string;
  /** Set when the client went away before the response was complete. */
  aborted?: true;
}

type Mounts = readonly (readonly [string, Router])[];
interface Pattern {
  method: string;
  route: string;
  segments: string[];
}

const segmentsOf = (p: string) => p.split('/').filter(Boolean);

/** Every route of the mounted routers as a pattern, in the order Express tries them. */
export function routePatterns(mounts: Mounts): Pattern[] {
  return mounts.flatMap(([at, router]) =>
    routesOf(router).map((spec) => {
      const route = spec.path === '/' ? at : `${at}${spec.path}`;
      return { method: spec.method.toUpperCase(), route, segments: segmentsOf(route) };
    }),
  );
}

/** The pattern of the first route that serves `method path` (HEAD is served by GET routes), like Express. */
export function matchRoute(patterns: readonly Pattern[], method: string, path: string): string | null {
  const want = method === 'HEAD' ? 'GET' : method;
  const parts = segmentsOf(path);
  const found = patterns.find(
    (p) =>
      p.method === want &&
      p.segments.length === parts.length &&
      p.segments.every((s, i) => s.startsWith(':') || s.toLowerCase() === parts[i]!.toLowerCase()),
  );
  return found?.route ?? null;
}

/**
 * Writes one line per request when its response ends (or the client goes away): method, route
 * pattern, status, duration and the authenticated user. `mounts` is read at the first request, so
 * this can be installed before the routers are listed.
 */
export function requestLog(mounts: () => Mounts, write: (line: RequestLine) => void) {
  let patterns: Pattern[] | undefined;
  return (req: Request, res: Response, next: NextFunction) => {
    const started = process.hrtime.bigint();
    // Taken now: routers rewrite req.url on the way down.
    const path = req.originalUrl.split('?')[0] ?? '';
    let done = false;
    const end = () => {
      if (done) return;
      done = true;
      patterns ??= routePatterns(mounts());
      write({
        method: req.method,
        route: matchRoute(patterns, req.method, path),
        status: res.statusCode,
        durationMs: Math.round(Number(process.hrtime.bigint() - started) / 1e5) / 10,
        ...(req.user ? { user: req.user.email, userId: req.user.id } : {}),
        ...(res.writableFinished ? {} : { aborted: true as const }),
      });
    };
    res.once('finish', end);
    res.once('close', end);
    next();
  };
}
