import { z } from 'zod';

/**
 * The response shapes of the OpenAPI document: the fields clients rely on. Objects are loose (a
 * field added later does not break a client), and a nullable field says so.
 */
export const Ok = z.object({ ok: z.literal(true) });

export const User = z.looseObject({
  id: z.string(),
  email: z.string(),
  isAdmin: z.boolean(),
  createdAt: z.string(),
});

export const Project = z.looseObject({
  id: z.string(),
  name: z.string(),
  owner: z.string(),
  role: z.enum(['owner', 'member']),
  createdAt: z.string(),
});

export const Volume = z.looseObject({
  name: z.string(),
  createdAt: z.string(),
  node: z
    .object({ id: z.string(), hostname: z.string() })
    .optional()
    .describe('Cluster mode: the node that holds the files; what mounts the volume runs there.'),
});

export const Deploy = z.looseObject({
  id: z.string(),
  kind: z.string(),
  status: z.string(),
  version: z.number().optional(),
  error: z.string().optional(),
  createdAt: z.string(),
});

/** A deploy, rollback or service action just started: what its workflow is. */
export const StartedDeploy = z.looseObject({
  id: z.string(),
  workflowId: z.string(),
  status: z.literal('running'),
  kind: z.string(),
});

export const Job = z.looseObject({ id: z.string(), status: z.string(), command: z.array(z.string()) });

export const Notebook = z.looseObject({ id: z.string(), status: z.string() });

export const ModelVersion = z.looseObject({
  repository: z.string(),
  version: z.number(),
  modelId: z.string(),
  size: z.number(),
  sha256: z.string(),
  tags: z.array(z.string()),
});

export const Quota = z.object({ name: z.string(), limit: z.number(), used: z.number() });

/** A project path: the project's name (any string; one the caller may not see answers 404). */
export const ProjectPath = z.object({ name: z.string().describe('The project name.') });
