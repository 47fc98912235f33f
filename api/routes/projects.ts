import { Router } from 'express';
import Docker from 'dockerode';
import { volumeNode } from '../../containers/swarm-cluster.js';
import { z } from 'zod';
import type { AppDeps } from '../deps.js';
import { currentUser, requireAuth } from '../auth.js';
import {
  addMember,
  createProject,
  deleteProject,
  startProjectRemoval,
  getProject,
  listProjects,
  listVolumes,
} from '../projects.js';
import { ForbiddenError } from '../../core/errors.js';
import { nameField } from '../input.js';
import { route } from '../route.js';
import { Ok, Project, ProjectPath, Volume } from './shapes.js';

export function projectRoutes(deps: AppDeps): Router {
  const r = Router();
  r.use(requireAuth(deps.db));
  route(
    r,
    {
      method: 'get',
      path: '/',
      summary: 'The projects the caller is a member of',
      access: 'user',
      responses: { 200: { description: 'The projects.', schema: z.object({ projects: z.array(Project) }) } },
    },
    async (req, res) => {
      res.json({ projects: await listProjects(deps.db, currentUser(req).id) });
    },
  );
  route(
    r,
    {
      method: 'post',
      path: '/',
      summary: 'Create a project owned by the caller',
      access: 'user',
      body: z.object({ name: nameField('project') }),
      responses: { 201: { description: 'Created.', schema: z.object({ project: Project }) } },
    },
    async (req, res, { body }) => {
      const project = await createProject(deps.db, deps.env.home, currentUser(req).id, body.name);
      res.status(201).json({ project });
    },
  );
  route(
    r,
    {
      method: 'get',
      path: '/:name',
      summary: 'One project',
      access: 'user',
      params: ProjectPath,
      responses: { 200: { description: 'The project.', schema: z.object({ project: Project }) } },
    },
    async (req, res, { params }) => {
      res.json({ project: await getProject(deps.db, currentUser(req).id, params.name) });
    },
  );
  route(
    r,
    {
      method: 'delete',
      path: '/:name',
      summary: 'Delete a project (its owner): services, jobs, volumes and models go',
      access: 'user',
      params: ProjectPath,
      responses: { 200: { description: 'Deleted.', schema: z.object({ deleted: z.string() }) } },
    },
    async (req, res, { params }) => {
      const project = await deleteProject(deps.db, deps.env.home, currentUser(req).id, params.name);
      await startProjectRemoval(deps.temporal, deps.env.taskQueue, project);
      res.json({ deleted: params.name });
    },
  );
  route(
    r,
    {
      method: 'get',
      path: '/:name/volumes',
      summary: "The project's volumes",
      access: 'user',
      params: ProjectPath,
      responses: { 200: { description: 'The volumes.', schema: z.object({ volumes: z.array(Volume) }) } },
    },
    async (req, res, { params }) => {
      const project = await getProject(deps.db, currentUser(req).id, params.name);
      const volumes = await listVolumes(deps.db, project.id);
      if (!deps.env.cluster) return void res.json({ volumes });
      // In cluster mode every volume lives on the manager, and what mounts it runs there.
      const node = await volumeNode(new Docker({ socketPath: deps.env.dockerSocket }), deps.env.dockerSocket);
      res.json({ volumes: volumes.map((v) => ({ ...v, node })) });
    },
  );
  route(
    r,
    {
      method: 'post',
      path: '/:name/members',
      summary: 'Add a member (the owner)',
      access: 'user',
      params: ProjectPath,
      body: z.object({ email: z.string().describe("The new member's email.") }),
      responses: { 201: { description: 'Added.', schema: Ok } },
    },
    async (req, res, { params, body }) => {
      const project = await getProject(deps.db, currentUser(req).id, params.name);
      if (project.role !== 'owner') throw new ForbiddenError('Only the project owner adds members.');
      await addMember(deps.db, project, body.email);
      res.status(201).json({ ok: true });
    },
  );
  return r;
}
