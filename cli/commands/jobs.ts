import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigError } from '../../core/errors.js';
import { unlessNotFound } from '../api-error.js';
import { ApiClient } from '../client.js';
import { ago, duration, info, out, printJson } from '../output.js';
import { projectPath, resolveProject } from '../project.js';
import { readJobLog } from '../job-log.js';
import { stopRun } from '../stop-run.js';
import { announced, startRequest } from '../retry.js';
import type { PsOptions, PsSection } from '../ps-section.js';

export type { Job } from '../../core/api-types.js';
import type { Job, JobLogLine as LogLine } from '../../core/api-types.js';

// ---------- roro run ----------

export interface RunArgs {
  size?: string;
  project?: string;
  url?: string;
  json: boolean;
  command: string[];
}

const VALUE_OPTIONS: Record<string, keyof RunArgs> = {
  '-s': 'size',
  '--size': 'size',
  '--project': 'project',
  '--url': 'url',
};

/**
 * Reads `roro [global options] run [options] CMD...` from the raw argv: options end at the first
 * word of CMD (or at `--`), and everything after belongs to CMD, even `-s` or `--url`.
 */
export function parseRunArgv(argv: string[]): RunArgs {
  const args: RunArgs = { json: false, command: [] };
  let i = 0;
  let inRun = false;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (!inRun) {
      if (a === 'run') inRun = true;
      else if (VALUE_OPTIONS[a]) i++;
      continue;
    }
    if (a === '--') {
      i++;
      break;
    }
    if (!a.startsWith('-')) break;
    const eq = a.indexOf('=');
    const flag = eq > 0 ? a.slice(0, eq) : a;
    const key = VALUE_OPTIONS[flag];
    if (key) {
      const value = eq > 0 ? a.slice(eq + 1) : argv[++i];
      if (value === undefined || value === '')
        throw new ConfigError(`${flag} needs a value.`, 'Run e.g. `roro run -s S2 python train.py`.');
      (args as unknown as Record<string, string>)[key] = value;
    } else if (a === '--json') args.json = true;
    else if (a !== '--debug') {
      throw new ConfigError(
        `Unknown option ${a} before the command.`,
        'Options of roro run (-s SIZE, --project, --json) go before the command; everything after it is passed to the command.',
      );
    }
  }
  args.command = argv.slice(i);
  return args;
}

export async function runCommand(): Promise<void> {
  const args = parseRunArgv(process.argv.slice(2));
  if (args.command.length === 0)
    throw new ConfigError('roro run needs a command.', 'Run e.g. `roro run python train.py`.');
  const project = resolveProject(args.project);
  const client = ApiClient.forCli(args.url);
  const { job } = await startRequest(
    () =>
      client.request<{ job: Job }>(`${projectPath(project)}/jobs`, {
        method: 'POST',
        body: { command: args.command, ...(args.size ? { size: args.size } : {}) },
      }),
    'job',
    'roro ps -a',
  );
  if (args.json) return printJson({ jobid: job.id });
  out(`Started new job ${job.id}`);
  info(`Follow its output with: roro logs ${job.id} -f`);
}

// ---------- roro ps ----------

/** Task runs are `sh -c SCRIPT`: show the script as written in roro.yml. */
export function commandText(job: Pick<Job, 'command' | 'task'>): string {
  const c = job.command;
  const text =
    c.length === 3 && c[0] === '/bin/sh' && c[1] === '-c'
      ? c[2]!
      : c.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
  return job.task ? `[${job.task}] ${text}` : text;
}

export function jobRows(jobs: Job[], now = Date.now()): string[][] {
  return jobs.map((j) => [
    j.id,
    j.exitCode !== undefined && j.status === 'failed' ? `failed (exit ${j.exitCode})` : j.status,
    ago(j.createdAt, now),
    duration(j.startedAt ?? j.createdAt, j.finishedAt, now),
    j.size,
    commandText(j),
  ]);
}

export async function fetchJobs(client: ApiClient, project: string, opts: { all?: boolean }): Promise<Job[]> {
  const { jobs } = await client.request<{ jobs: Job[] }>(
    `${projectPath(project)}/jobs${opts.all ? '?all=1' : ''}`,
  );
  return jobs;
}

export const JOB_HEADERS = ['JOBID', 'STATUS', 'WHEN', 'TIME', 'SIZE', 'CMD'];

/** The jobs block of `roro ps`, after the services. */
export const jobsSection: PsSection = {
  key: 'jobs',
  async load(client, project, opts: PsOptions) {
    const jobs = await fetchJobs(client, project, opts);
    return { items: jobs, headers: JOB_HEADERS, rows: jobRows(jobs) };
  },
  empty: (project) =>
    `No running jobs in ${project} (roro ps -a shows finished ones). Start one with: roro run CMD`,
};

// ---------- roro logs ----------

interface LogsOptions {
  project?: string;
  follow?: boolean;
  timestamps?: boolean;
  url?: string;
}

const printLine = (l: { ts: string; line: string }, timestamps: boolean | undefined) =>
  out(timestamps ? `${l.ts} ${l.line}` : l.line);

async function findJob(client: ApiClient, project: string, target: string): Promise<Job | undefined> {
  const path = `${projectPath(project)}/jobs/${encodeURIComponent(target)}`;
  return (await unlessNotFound(client.request<{ job: Job }>(path)))?.job;
}

/** Prints the stored output; with follow, until the job ends, then exits with its status. */
async function jobLogs(client: ApiClient, project: string, job: Job, opts: LogsOptions): Promise<void> {
  const base = `${projectPath(project)}/jobs/${encodeURIComponent(job.id)}/logs`;
  const end = await readJobLog(
    (after, limit) => client.request<{ job: Job; lines: LogLine[] }>(`${base}?after=${after}&limit=${limit}`),
    {
      follow: Boolean(opts.follow),
      print: (l) => printLine(l, opts.timestamps),
      // Without -f a blip is an error like any other; while following, the job goes on regardless.
      retry: opts.follow ? announced() : { retryIf: () => false },
    },
  );
  if (!opts.follow) return;
  const code = end.exitCode === undefined ? '' : ` (exit code ${end.exitCode})`;
  info(`Job ${job.id} ${end.status}${code}.${end.error && end.status !== 'success' ? ` ${end.error}` : ''}`);
  process.exitCode = end.status === 'success' ? 0 : 1;
}

async function serviceLogs(
  client: ApiClient,
  project: string,
  service: string,
  opts: LogsOptions,
): Promise<void> {
  let since: string | undefined;
  // stdout and stderr lines can arrive out of timestamp order: remember what was printed, not a cut-off.
  const seen = new Set<string>();
  for (;;) {
    const q = since ? `since=${encodeURIComponent(since)}&tail=5000` : 'tail=200';
    const { lines } = await client.request<{ lines: LogLine[] }>(
      `${projectPath(project)}/services/${encodeURIComponent(service)}/logs?${q}`,
    );
    for (const l of lines) {
      const key = `${l.ts}|${l.stream}|${l.line}`;
      if (seen.has(key)) continue;
      if (seen.size > 20_000) seen.clear();
      seen.add(key);
      printLine(l, opts.timestamps);
      if (since === undefined || l.ts > since) since = l.ts;
    }
    if (!opts.follow) return;
    since ??= new Date().toISOString();
    await sleep(1000);
  }
}

export async function logsCommand(target: unknown, opts: LogsOptions): Promise<void> {
  if (typeof target !== 'string' || target === '')
    throw new ConfigError('roro logs needs a job id or a service name.', 'Run `roro ps -a` to list them.');
  const project = resolveProject(opts.project);
  const client = ApiClient.forCli(opts.url);
  const job = await findJob(client, project, target);
  if (job) return jobLogs(client, project, job, opts);
  if (await notebookLogs(client, project, target)) return;
  await serviceLogs(client, project, target, opts);
}

/** A notebook session's last lines (its token masked by the server); false when no such session. */
async function notebookLogs(client: ApiClient, project: string, id: string): Promise<boolean> {
  if (!/^n[0-9a-z]+$/.test(id)) return false;
  const found = await unlessNotFound(
    client.request<{ lines: string[] }>(
      `${projectPath(project)}/notebooks/${encodeURIComponent(id)}/logs?tail=500`,
    ),
  );
  for (const line of found?.lines ?? []) out(line);
  return found !== undefined;
}

// ---------- roro stop ----------

/** `roro stop JOBID` cancels the job; any other name is handed to the service stop. */
export async function stopJobOrService(
  target: unknown,
  opts: PsOptions & { detach?: boolean },
  stopService: () => Promise<void>,
): Promise<void> {
  if (typeof target !== 'string' || target === '') return stopService();
  const project = resolveProject(opts.project);
  const client = ApiClient.forCli(opts.url);
  const job = await findJob(client, project, target);
  if (!job) return stopService();
  await stopRun(
    client,
    job,
    {
      noun: 'Job',
      path: `${projectPath(project)}/jobs/${encodeURIComponent(job.id)}`,
      how: '(SIGTERM, then SIGKILL after 10 s)',
      live: (status) => status === 'running',
      reload: () => findJob(client, project, job.id),
    },
    opts.detach,
  );
}
