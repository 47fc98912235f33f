import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ConfigError, RoroError } from '../../core/errors.js';
import { checkName } from '../../core/names.js';
import type { ModelRepository, ModelVersion } from '../../api/models.js';
import { ApiClient } from '../client.js';
import { info, out, printJson, table } from '../output.js';
import { formatBytes } from '../progress.js';
import { projectPath, resolveProject } from '../project.js';

interface Opts {
  project?: string;
  json?: boolean;
  all?: boolean;
  url?: string;
}

const LOG_DEFAULT = 20;
const modelsPath = (project: string) => `${projectPath(project)}/models`;
const repoPath = (project: string, repo: string) => `${modelsPath(project)}/${encodeURIComponent(repo)}`;
const day = (iso: string) => iso.replace('T', ' ').slice(0, 19);

/** `credit-risk`, `credit-risk:3` or `credit-risk:prod`; no reference means the latest version. */
export function parseModelSpec(spec: unknown): { repo: string; ref: string } {
  if (typeof spec !== 'string' || !spec)
    throw new ConfigError(
      'Name a model repository.',
      'For example: credit-risk, credit-risk:3 or credit-risk:prod.',
    );
  const i = spec.indexOf(':');
  const repo = checkName('model repository', i < 0 ? spec : spec.slice(0, i));
  const ref = i < 0 ? 'latest' : spec.slice(i + 1);
  if (!/^(\d{1,9}|[a-z][a-z0-9-]{0,39})$/.test(ref))
    throw new ConfigError(
      `${JSON.stringify(ref)} is neither a version number nor a tag.`,
      'Write NAME:3 or NAME:prod.',
    );
  return { repo, ref };
}

export async function modelsCommand(opts: Opts): Promise<void> {
  const project = resolveProject(opts.project);
  const res = await ApiClient.forCli(opts.url).request<{ repositories: ModelRepository[] }>(
    modelsPath(project),
  );
  if (opts.json) return printJson(res);
  if (!res.repositories.length)
    return void info(
      `${project} has no models yet. Save one from Python: repo.new_model_image(model).save()`,
    );
  table(
    ['NAME', 'VERSIONS', 'LATEST', 'UPDATED'],
    res.repositories.map((r) => [r.name, r.versions, r.latest ?? '', day(r.updatedAt)]),
  );
}

async function onlyRepository(client: ApiClient, project: string): Promise<string> {
  const { repositories } = await client.request<{ repositories: ModelRepository[] }>(modelsPath(project));
  if (repositories.length === 1) return repositories[0]!.name;
  if (!repositories.length)
    throw new RoroError(`${project} has no models yet.`, { code: 'not_found', status: 404 });
  throw new ConfigError(
    `${project} has ${repositories.length} model repositories; name one.`,
    `One of: ${repositories.map((r) => r.name).join(', ')}.`,
  );
}

export async function modelsLogCommand(name: unknown, opts: Opts): Promise<void> {
  const project = resolveProject(opts.project);
  const client = ApiClient.forCli(opts.url);
  const repo = name ? checkName('model repository', String(name)) : await onlyRepository(client, project);
  const limit = opts.all ? 1000 : LOG_DEFAULT;
  const res = await client.request<{ versions: ModelVersion[] }>(
    `${repoPath(project, repo)}/versions?limit=${limit}`,
  );
  if (opts.json) return printJson(res);
  table(
    ['VERSION', 'MODEL-ID', 'DATE', 'COMMENT', 'TAGS', 'JOB'],
    res.versions.map((v) => [
      v.version,
      v.modelId,
      day(v.createdAt),
      v.comment.split('\n')[0]!.slice(0, 60),
      v.tags.join(','),
      v.jobId ?? '',
    ]),
  );
  if (!opts.all && res.versions.length === LOG_DEFAULT) info(`(the ${LOG_DEFAULT} newest; -a shows all)`);
}

export async function modelsShowCommand(spec: unknown, opts: Opts): Promise<void> {
  const { repo, ref } = parseModelSpec(spec);
  const project = resolveProject(opts.project);
  const res = await ApiClient.forCli(opts.url).request<{ version: ModelVersion }>(
    `${repoPath(project, repo)}/versions/${encodeURIComponent(ref)}`,
  );
  if (opts.json) return printJson(res);
  const v = res.version;
  const rows: [string, string][] = [
    ...Object.entries(v.details),
    ['Size', formatBytes(v.size)],
    ['SHA256', v.sha256],
    ['Created-By', v.createdBy ?? ''],
    ['Tags', v.tags.join(', ')],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  for (const [k, val] of rows) out(`${`${k}:`.padEnd(width + 1)} ${val}`);
}

export async function modelsTagCommand(spec: unknown, tag: unknown, opts: Opts): Promise<void> {
  const { repo, ref } = parseModelSpec(spec);
  const project = resolveProject(opts.project);
  const client = ApiClient.forCli(opts.url);
  const tagName = checkName('tag', String(tag ?? ''));
  const version = /^\d+$/.test(ref)
    ? Number(ref)
    : (
        await client.request<{ version: ModelVersion }>(
          `${repoPath(project, repo)}/versions/${encodeURIComponent(ref)}`,
        )
      ).version.version;
  const res = await client.request<{ tag: { tag: string; version: number } }>(
    `${repoPath(project, repo)}/tags/${encodeURIComponent(tagName)}`,
    { method: 'PUT', body: { version } },
  );
  if (opts.json) return printJson(res);
  info(`Tagged ${repo}:${res.tag.version} as ${res.tag.tag}.`);
}

/** Saved under a temporary name beside FILE and checked against the server's sha256 before the rename. */
export async function modelsDownloadCommand(spec: unknown, file: unknown, opts: Opts): Promise<void> {
  const { repo, ref } = parseModelSpec(spec);
  if (typeof file !== 'string' || !file)
    throw new ConfigError('Name the file to write.', 'roro models:download NAME FILE');
  const project = resolveProject(opts.project);
  const res = await ApiClient.forCli(opts.url).fetch(
    `${repoPath(project, repo)}/versions/${encodeURIComponent(ref)}/blob`,
    { headers: { accept: '*/*' } },
  );
  if (!res.body) throw new RoroError('The server sent no content.');
  const expected = res.headers.get('x-roro-sha256');
  const tmp = path.join(
    path.dirname(file),
    `.${path.basename(file)}.roro-${crypto.randomBytes(4).toString('hex')}`,
  );
  const hash = crypto.createHash('sha256');
  let size = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _e, done) {
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  try {
    const body = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>);
    await pipeline(body, meter, fs.createWriteStream(tmp, { flags: 'wx', mode: 0o644 }));
    if (expected && hash.digest('hex') !== expected)
      throw new RoroError('The download arrived corrupted (sha256 mismatch).', {
        hint: 'Run the download again.',
      });
    await fsp.rename(tmp, file);
  } catch (err) {
    await fsp.rm(tmp, { force: true });
    throw err;
  }
  const version = res.headers.get('x-roro-model-version');
  const encoding = res.headers.get('x-roro-content-encoding');
  info(`Saved ${repo}:${version} (${formatBytes(size)}, ${encoding}) to ${file}`);
}
