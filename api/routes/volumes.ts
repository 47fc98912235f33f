import { Router, type Request } from 'express';
import Docker from 'dockerode';
import type { AppDeps } from '../app.js';
import { contentLength } from '../request.js';
import { currentUser, requireAuth } from '../auth.js';
import { getProject } from '../projects.js';
import { volumeDir } from '../../core/config.js';
import { addVolume, getVolume, listVolumePath, removeVolume } from '../volumes.js';
import { receiveDirectory, receiveFile, sendVolumePath } from '../volume-files.js';
import { checkName } from '../../core/names.js';
import { quotaExceeded } from '../../core/quotas.js';
import { projectQuotas, volumeUsage } from '../quotas.js';

/** Largest single `roro cp` upload; RORO_VOLUME_MAX_UPLOAD_BYTES overrides the 10 GiB default. */
export function maxUploadBytes(env: NodeJS.ProcessEnv = process.env): number {
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

const str = (v: unknown) => (typeof v === 'string' ? v : '');

export function volumeRoutes(deps: AppDeps): Router {
  const r = Router({ mergeParams: true });
  r.use(requireAuth(deps.db));
  let docker: Docker | undefined;
  const project = (req: Request) => getProject(deps.db, currentUser(req).id, String(req.params.name));
  /** The project and the real directory of the volume named in the URL. */
  const volume = async (req: Request) => {
    const p = await project(req);
    const v = await getVolume(deps.db, p, checkName('volume', req.params.volume));
    return { p, v, root: volumeDir(deps.env.home, p.id, v.name) };
  };

  r.post('/volumes', async (req, res) => {
    const p = await project(req);
    res.status(201).json({ volume: await addVolume(deps.db, deps.env.home, p, req.body?.name) });
  });
  r.delete('/volumes/:volume', async (req, res) => {
    const p = await project(req);
    const name = checkName('volume', req.params.volume);
    docker ??= new Docker({ socketPath: deps.env.dockerSocket });
    await removeVolume(deps.db, deps.env.home, p, name, await runningContainers(docker, p.name));
    res.json({ deleted: name });
  });
  r.get('/volumes/:volume/ls', async (req, res) => {
    const { v, root } = await volume(req);
    res.json({ volume: v.name, ...(await listVolumePath(root, v.name, str(req.query.path))) });
  });
  r.get('/volumes/:volume/files', async (req, res) => {
    const { v, root } = await volume(req);
    await sendVolumePath(res, root, v.name, str(req.query.path), req.query.recursive === '1');
  });
  r.put('/volumes/:volume/files', async (req, res) => {
    const { p, v, root } = await volume(req);
    const quota = (await projectQuotas(deps.db, p.id)).volumeBytes;
    const used = await volumeUsage(deps.env.home, p.id);
    const input = {
      quota: {
        remaining: Math.max(0, quota - used),
        exceeded: (wanted: number) => quotaExceeded('volumeBytes', quota, used + wanted, p.name),
      },
      volume: v.name,
      path: str(req.query.path),
      name: str(req.query.name) || undefined,
      length: contentLength(req),
      maxBytes: maxUploadBytes(),
      force: req.query.force === '1',
    };
    const body = req as unknown as AsyncIterable<Buffer>;
    const done =
      req.query.type === 'dir'
        ? await receiveDirectory(root, body, input)
        : await receiveFile(root, body, input);
    res.status(201).json({ volume: v.name, ...done });
  });
  return r;
}
