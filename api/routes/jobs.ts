import { Router } from 'express';
import { z } from 'zod';
import { intQuery, nameField } from '../input.js';
import { route } from '../route.js';
import { followRoute } from './follow-route.js';
import { Job, ProjectPath } from './shapes.js';
import type { AppDeps } from '../deps.js';
import { projectRouter } from './project-router.js';
import { startStopRoutes } from './workflow-resource-routes.js';
import {
  getJob,
  jobLogs,
  listJobs,
  listTasks,
  serviceLogs,
  startJob,
  stopJob,
  syncTasksFromRelease,
  taskAction,
} from '../jobs.js';
import { workflowDeps } from '../workflow-resources.js';
import { lazyDriver } from '../container-driver.js';
import { streamJobLogs } from '../job-log-stream.js';

const JobPath = ProjectPath.extend({ id: z.string().describe('The job id.') });
const Task = z.looseObject({ name: z.string() });
const LogLines = z.array(z.looseObject({ line: z.string() }));
const AllFlag = z.string().optional().describe('1, true or yes: finished ones too.');

const StartJob = z.object({
  command: z.array(z.string()).min(1).describe('argv: the program and its arguments.'),
  size: z.string().optional().describe('A size name such as S1.'),
});

/** Jobs, job logs, service logs and tasks of one project, under /v1/projects/:name. */
export function jobRoutes(deps: AppDeps): Router {
  const { r, project } = projectRouter(deps);
  // Read-only use (logs of service containers).
  const docker = lazyDriver(deps.env);
  const oneJob = (description: string) => ({ description, schema: z.object({ job: Job }) });

  startStopRoutes(
    r,
    { deps, project, plural: 'jobs', shape: Job, body: StartJob },
    {
      start: { summary: 'Run a command as a job in the image of the current release', run: startJob },
      stop: { summary: 'Stop a job', run: stopJob },
    },
  );
  route(
    r,
    {
      method: 'get',
      path: '/jobs',
      summary: "The project's running jobs (all with all=1)",
      access: 'user',
      params: ProjectPath,
      query: z.object({ all: AllFlag, limit: intQuery({ fallback: 200 }) }),
      responses: { 200: { description: 'The jobs.', schema: z.object({ jobs: z.array(Job) }) } },
    },
    async (req, res, { query }) => {
      const p = await project(req);
      const all = ['1', 'true', 'yes'].includes(query.all ?? '');
      res.json({ jobs: await listJobs(deps.db, p.id, all, query.limit) });
    },
  );
  route(
    r,
    {
      method: 'get',
      path: '/jobs/:id',
      summary: 'One job',
      access: 'user',
      params: JobPath,
      responses: { 200: oneJob('The job.') },
    },
    async (req, res, { params }) => {
      const p = await project(req);
      res.json({ job: await getJob(deps.db, p.id, params.id) });
    },
  );
  route(
    r,
    {
      method: 'get',
      path: '/jobs/:id/logs',
      summary: "A job's log lines after a seq (followed by polling with after=)",
      access: 'user',
      params: JobPath,
      query: z.object({ after: intQuery({ fallback: 0 }), limit: intQuery({ fallback: 1000 }) }),
      responses: {
        200: { description: 'The job and its lines.', schema: z.object({ job: Job, lines: LogLines }) },
      },
    },
    async (req, res, { params, query }) => {
      const p = await project(req);
      res.json(await jobLogs(deps.db, p.id, params.id, query.after, query.limit));
    },
  );
  followRoute(
    r,
    {
      path: '/jobs/:id/logs/stream',
      summary: "Follow a job's log lines as Server-Sent Events until it ends (the dashboard)",
      params: JobPath,
      what: 'lines',
      description: 'A `line` event per line (id: its seq), then an `end` event with the job.',
      contentType: 'text/event-stream',
    },
    async (req, res, params, after) => {
      const p = await project(req);
      await streamJobLogs(deps.db, req, res, p.id, params.id, after);
    },
  );
  route(
    r,
    {
      method: 'get',
      path: '/services/:service/logs',
      summary: "The last lines of a service's containers",
      access: 'user',
      params: ProjectPath.extend({ service: nameField('service') }),
      query: z.object({
        tail: intQuery({ min: 1, fallback: 200 }).describe('At most 5000 lines are sent.'),
        since: z.iso
          .datetime()
          .optional()
          .describe('Only lines after this time (UTC, e.g. 2026-01-31T12:00:00.5Z).'),
      }),
      responses: { 200: { description: 'The lines.', schema: z.object({ lines: LogLines }) } },
    },
    async (req, res, { params, query }) => {
      const p = await project(req);
      res.json(
        await serviceLogs(docker(), deps.db, p, params.service, {
          tail: Math.min(query.tail, 5000),
          since: query.since || undefined,
        }),
      );
    },
  );
  route(
    r,
    {
      method: 'get',
      path: '/tasks',
      summary: "The project's scheduled tasks",
      access: 'user',
      params: ProjectPath,
      responses: { 200: { description: 'The tasks.', schema: z.object({ tasks: z.array(Task) }) } },
    },
    async (req, res) => {
      const p = await project(req);
      res.json({ tasks: await listTasks(workflowDeps(deps).temporal, deps.db, p) });
    },
  );
  route(
    r,
    {
      method: 'post',
      path: '/tasks/sync',
      summary: "Re-sync the schedules from the current release's roro.yml",
      access: 'user',
      params: ProjectPath,
      responses: { 200: { description: 'What changed.', schema: z.object({ sync: z.unknown() }) } },
    },
    async (req, res) => {
      const p = await project(req);
      res.json({
        sync: await syncTasksFromRelease(workflowDeps(deps), p),
      });
    },
  );
  route(
    r,
    {
      method: 'post',
      path: '/tasks/:task/:action',
      summary: 'Pause, resume or run a task now',
      access: 'user',
      params: ProjectPath.extend({ task: nameField('task'), action: z.enum(['pause', 'resume', 'run']) }),
      responses: { 200: { description: 'The task.', schema: z.object({ task: Task }) } },
    },
    async (req, res, { params }) => {
      const p = await project(req);
      res.json({
        task: await taskAction(workflowDeps(deps).temporal, deps.db, p, params.task, params.action),
      });
    },
  );
  return r;
}
