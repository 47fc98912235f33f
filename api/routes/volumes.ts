import { Router, type Request } from 'express';
import { z } from 'zod';
import Docker from 'dockerode';
import type { AppDeps } from '../deps.js';
import { projectRouter } from './project-router.js';
import { contentLength } from '../request.js';
import { volumeDir } from '../../core/config.js';
import { addVolume, getVolume, listVolumePath, removeVolume } from '../volumes.js';
import { receiveDirectory, receiveFile, sendVolumePath } from '../volume-files.js';
import { nameField } from '../input.js';
import { route } from '../route.js';
import { ProjectPath, Volume as VolumeShape } from './shapes.js';
import { quotaExceeded } from '../../core/quotas.js';
import { projectQuotas, volumeUsage } from '../quotas.js';

/** Largest single `roro cp` upload; RORO_VOLUME_MAX_UPLOAD_BYTES overrides the 10 GiB default. */
function maxUploadBytes(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env.RORO_VOLUME_MAX_UPLOAD_BYTES);
  return Number.isInteger(n) && n > 0 ? n : 10 * 1024 * 1024 * 1024;
}

/** Names of the project's running containers (services, jobs, notebooks): each mounts every volume. */
async function runningContainers(docker: Docker, project: string): Promise<string[]> {
  const list = await docker.listContainers({
    filters: { label: [`roro.project=${project}`], status: ['running'] },
  });
  return list.map((c) => (c.Names[0] ?? c.Id).replace(/^\//, ''));
}

const VolumePath = ProjectPath.extend({ volume: nameField('volume') });
const InVolume = z.string().optional().describe('A path inside the volume (default: its root).');
const Flag = z.string().optional().describe('1: yes.');

export function volumeRoutes(deps: AppDeps): Router {
  const { r, project } = projectRouter(deps);
  let docker: Docker | undefined;
  /** The project and the real directory of the volume named in the URL. */
  const volume = async (req: Request) => {
    const p = await project(req);
    const v = await getVolume(deps.db, p, String(req.params.volume));
    return { p, v, root: volumeDir(deps.env.home, p.id, v.name) };
  };

  route(
    r,
    {
      method: 'post',
      path: '/volumes',
      summary: 'Add a volume',
      access: 'user',
      params: ProjectPath,
      body: z.object({ name: nameField('volume') }),
      responses: { 201: { description: 'Added.', schema: z.object({ volume: VolumeShape }) } },
    },
    async (req, res, { body }) => {
      const p = await project(req);
      res.status(201).json({ volume: await addVolume(deps.db, deps.env.home, p, body.name) });
    },
  );
  route(
    r,
    {
      method: 'delete',
      path: '/volumes/:volume',
      summary: 'Remove a volume that no running container mounts',
      access: 'user',
      params: VolumePath,
      responses: { 200: { description: 'Removed.', schema: z.object({ deleted: z.string() }) } },
    },
    async (req, res, { params }) => {
      const p = await project(req);
      docker ??= new Docker({ socketPath: deps.env.dockerSocket });
      await removeVolume(deps.db, deps.env.home, p, params.volume, await runningContainers(docker, p.name));
      res.json({ deleted: params.volume });
    },
  );
  route(
    r,
    {
      method: 'get',
      path: '/volumes/:volume/ls',
      summary: 'List a directory of a volume',
      access: 'user',
      params: VolumePath,
      query: z.object({ path: InVolume }),
      responses: {
        200: { description: 'The entries.', schema: z.looseObject({ volume: z.string() }) },
      },
    },
    async (req, res, { query }) => {
      const { v, root } = await volume(req);
      res.json({ volume: v.name, ...(await listVolumePath(root, v.name, query.path ?? '')) });
    },
  );
  route(
    r,
    {
      method: 'get',
      path: '/volumes/:volume/files',
      summary: 'Download a file, or a directory as a gzip tar archive (x-roro-type: dir)',
      access: 'user',
      params: VolumePath,
      query: z.object({ path: InVolume, recursive: Flag }),
      responses: {
        200: {
          description: 'The file, or the directory as a tar.gz.',
          contentType: 'application/octet-stream',
        },
      },
    },
    async (req, res, { query }) => {
      const { v, root } = await volume(req);
      await sendVolumePath(res, root, v.name, query.path ?? '', query.recursive === '1');
    },
  );
  route(
    r,
    {
      method: 'put',
      path: '/volumes/:volume/files',
      summary: 'Upload a file, or a directory as a gzip tar archive (type=dir)',
      access: 'user',
      params: VolumePath,
      query: z.object({
        path: InVolume,
        name: z.string().optional().describe('The file name to write under path.'),
        force: Flag,
        type: z.enum(['file', 'dir']).optional(),
      }),
      upload: {
        contentType: 'application/octet-stream',
        description: 'The file, or with type=dir the directory as a gzip tar archive.',
      },
      responses: { 201: { description: 'Written.', schema: z.looseObject({ volume: z.string() }) } },
    },
    async (req, res, { query }) => {
      const { p, v, root } = await volume(req);
      const quota = (await projectQuotas(deps.db, p.id)).volumeBytes;
      const used = await volumeUsage(deps.env.home, p.id);
      const input = {
        quota: {
          remaining: Math.max(0, quota - used),
          exceeded: (wanted: number) => quotaExceeded('volumeBytes', quota, used + wanted, p.name),
        },
        volume: v.name,
        path: query.path ?? '',
        name: query.name || undefined,
        length: contentLength(req),
        maxBytes: maxUploadBytes(),
        force: query.force === '1',
      };
      const body = req as unknown as AsyncIterable<Buffer>;
      const done =
        query.type === 'dir'
          ? await receiveDirectory(root, body, input)
          : await receiveFile(root, body, input);
      res.status(201).json({ volume: v.name, ...done });
    },
  );
  return r;
}
