import { Router } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../deps.js';
import { currentUser, requireAdmin, requireAuth } from '../auth.js';
import { createUser, listUsers } from '../accounts.js';
import { MIN_PASSWORD_LENGTH } from '../../domain/passwords.js';
import { ownedProjectsOption, removeUser } from '../remove-user.js';
import { show } from '../refusal.js';
import { route } from '../route.js';
import { EMAIL_RE } from '../../core/names.js';
import { User } from './shapes.js';

const NewUser = z.object({
  email: z
    .string({ error: (iss) => `Invalid email address ${show(iss.input)}` })
    .max(254)
    .regex(EMAIL_RE)
    .describe('The address the user signs in with.'),
  password: z
    .string()
    .min(MIN_PASSWORD_LENGTH)
    .nullable()
    .optional()
    .describe('Left out (or null): one is generated and returned once.'),
  admin: z.boolean().optional(),
});

export function userRoutes(deps: AppDeps): Router {
  const r = Router();
  r.use(requireAuth(deps.db), requireAdmin);
  route(
    r,
    {
      method: 'get',
      path: '/',
      summary: 'Every user (admins)',
      access: 'admin',
      responses: { 200: { description: 'The users.', schema: z.object({ users: z.array(User) }) } },
    },
    async (_req, res) => {
      res.json({ users: await listUsers(deps.db) });
    },
  );
  route(
    r,
    {
      method: 'post',
      path: '/',
      summary: 'Add a user (admins)',
      access: 'admin',
      body: NewUser,
      responses: {
        201: {
          description: 'Created; a generated password is in the answer once.',
          schema: z.object({ user: User, generatedPassword: z.string().optional() }),
        },
      },
    },
    async (_req, res, { body }) => {
      const out = await createUser(deps.db, {
        email: body.email,
        password: body.password,
        isAdmin: body.admin === true,
      });
      res.status(201).json(out);
    },
  );
  route(
    r,
    {
      method: 'delete',
      path: '/:email',
      summary: 'Remove a user (admins); their own projects are deleted or transferred',
      access: 'admin',
      params: z.object({ email: z.string() }),
      query: z.object({
        projects: z
          .enum(['delete', 'transfer', ''])
          .optional()
          .describe('What becomes of the projects they own.'),
        to: z.string().optional().describe('With projects=transfer: the new owner.'),
      }),
      responses: {
        200: {
          description: 'Removed.',
          schema: z.object({
            removed: z.looseObject({
              email: z.string(),
              deletedProjects: z.array(z.string()),
              transferredProjects: z.array(z.string()),
              revokedTokens: z.number(),
            }),
          }),
        },
      },
    },
    async (req, res, { params, query }) => {
      const projects = ownedProjectsOption(query.projects, query.to);
      const removal = {
        db: deps.db,
        home: deps.env.home,
        temporal: deps.temporal,
        taskQueue: deps.env.taskQueue,
      };
      res.json({ removed: await removeUser(removal, currentUser(req).id, params.email, projects) });
    },
  );
  return r;
}
