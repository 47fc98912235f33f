import type { Router } from 'express';
import { z } from 'zod';
import { routesOf, type AnyRouteSpec } from './route.js';

/** The body of every error the API answers: what is wrong and the next step. */
const ErrorBody = z.object({
  error: z.object({
    code: z.string().describe('Machine-readable, e.g. invalid, not_found, conflict.'),
    message: z.string().describe('What is wrong; a refused field is named first, e.g. body.version.'),
    hint: z.string().optional().describe('What to do next.'),
    details: z.unknown().optional(),
  }),
});

type Json = Record<string, unknown>;

function jsonSchema(schema: z.ZodType): Json {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Json;
  return rest;
}

function parameters(where: 'path' | 'query' | 'header', schema: z.ZodType | undefined): Json[] {
  if (!schema) return [];
  const js = jsonSchema(schema);
  const required = new Set((js.required as string[] | undefined) ?? []);
  return Object.entries((js.properties as Record<string, Json> | undefined) ?? {}).map(([name, s]) => {
    const { description, ...rest } = s;
    return {
      name,
      in: where,
      required: where === 'path' || required.has(name),
      ...(description ? { description } : {}),
      schema: rest,
    };
  });
}

function requestBody(spec: AnyRouteSpec): Json | undefined {
  if (spec.upload)
    return {
      required: true,
      description: spec.upload.description,
      content: { [spec.upload.contentType]: { schema: { type: 'string', format: 'binary' } } },
    };
  if (!spec.body) return undefined;
  const schema = jsonSchema(spec.body);
  return {
    required: ((schema.required as string[] | undefined) ?? []).length > 0,
    content: { 'application/json': { schema } },
  };
}

const errorReply = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

function responses(spec: AnyRouteSpec, full: string): Json {
  const out: Json = {};
  for (const [status, reply] of Object.entries(spec.responses)) {
    const type = reply.contentType ?? 'application/json';
    const schema = reply.schema
      ? jsonSchema(reply.schema)
      : type === 'application/json'
        ? {}
        : { type: 'string' };
    out[status] = { description: reply.description, content: { [type]: { schema } } };
  }
  if (spec.params || spec.query || spec.headers || spec.body || spec.upload)
    out['400'] ??= errorReply('A field breaks the schema; the message names it.');
  if (spec.access !== 'public') out['401'] ??= errorReply('No valid token.');
  if (spec.access === 'admin') out['403'] ??= errorReply('The caller is not an admin.');
  if (full.includes(':')) out['404'] ??= errorReply('No such thing, or the caller may not see it.');
  out.default = errorReply('Any other refusal (409, 413, 415, 429) or 503 while a component is down.');
  return out;
}

function operationId(method: string, full: string): string {
  const words = full
    .replace(/^\/v1\//, '')
    .split(/[/:.-]+/)
    .filter(Boolean);
  return method + words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
}

/** `projects` for /v1/projects/:name, `deploys` for /v1/projects/:name/deploys/:id. */
function tagOf(full: string): string {
  const parts = full.split('/').filter(Boolean);
  return (parts[1] === 'projects' && parts[3]) || parts[1] || 'v1';
}

function operation(spec: AnyRouteSpec, full: string): Json {
  const body = requestBody(spec);
  return {
    operationId: operationId(spec.method, full),
    summary: spec.summary,
    tags: [tagOf(full)],
    security: spec.access === 'public' ? [] : [{ bearer: [] }],
    parameters: [
      ...parameters('path', spec.params),
      ...parameters('query', spec.query),
      ...parameters('header', spec.headers),
    ],
    ...(body ? { requestBody: body } : {}),
    responses: responses(spec, full),
  };
}

/** The OpenAPI 3.1 document of the routes registered through route() on the mounted routers. */
export function openApiDocument(mounts: readonly (readonly [string, Router])[], version: string): Json {
  const paths: Record<string, Json> = {};
  for (const [at, router] of mounts) {
    for (const spec of routesOf(router)) {
      const full = spec.path === '/' ? at : `${at}${spec.path}`;
      (paths[full.replace(/:(\w+)/g, '{$1}')] ??= {})[spec.method] = operation(spec, full);
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'roro platform API',
      version,
      description:
        'Every request is validated by the schemas below; a refusal is a 4xx JSON error naming the field.',
    },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'A token from POST /v1/auth/login.' },
      },
      schemas: { Error: jsonSchema(ErrorBody) },
    },
    paths,
  };
}
