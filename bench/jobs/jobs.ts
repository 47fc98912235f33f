/**
 * Jobs benchmark, against a running platform (RORO_URL, RORO_HOME, RORO_PORT_BASE, RORO_ADMIN_*):
 *  1. time from `roro run` to the job's first stored log line, against `docker run` of the same image
 *     to its first stdout line, in the same run;
 *  2. how many of N tasks due at the same minute start within that minute.
 * Usage: node dist/bench/jobs/jobs.js [runs=5] [tasks=10]
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { api, newUser, roro, testEnv, unique } from '../../test/helpers/platform.js';
import { deployAndWait, projectCopy } from '../../test/helpers/deploy.js';
import { connectTemporal } from '../../temporal/connection.js';
import { workflowIds } from '../../temporal/ids.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const runs = Math.min(Number(process.argv[2] ?? 5) || 5, 20);
const taskCount = Math.min(Number(process.argv[3] ?? 10) || 10, 30);

function stats(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return `median ${q(0.5).toFixed(0)} ms, min ${s[0]!.toFixed(0)} ms, max ${s.at(-1)!.toFixed(0)} ms (n=${s.length})`;
}

/** `docker run --rm IMAGE python -c print` until its first stdout line. */
function dockerFirstLine(image: string): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(
      'docker',
      ['run', '--rm', '--init', '-w', '/app', image, 'python', '-c', 'print("first")'],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let done = false;
    child.stdout.on('data', () => {
      if (!done) resolve(performance.now() - t0);
      done = true;
    });
    child.on('error', reject);
    child.on('close', () => (done ? undefined : reject(new Error('docker run printed nothing'))));
  });
}

async function roroFirstLine(token: string, project: string, env: NodeJS.ProcessEnv): Promise<number> {
  const t0 = performance.now();
  const res = await roro(['run', '--json', 'python', '-c', 'print("first")'], { env });
  const id = JSON.parse(res.stdout).jobid as string;
  for (let i = 0; i < 2000; i++) {
    const logs = await api('GET', `/v1/projects/${project}/jobs/${id}/logs?limit=1`, { token });
    if (logs.body.lines?.length) return performance.now() - t0;
    await sleep(20);
  }
  throw new Error(`job ${id} printed nothing`);
}

async function sameMinute(token: string, project: string, dir: string): Promise<void> {
  const tasks = Array.from(
    { length: taskCount },
    (_, i) => `  - name: due${i}\n    command: echo due${i}\n    cron: "* * * * *"\n`,
  ).join('');
  fs.appendFileSync(path.join(dir, 'roro.yml'), `tasks:\n${tasks}`);
  const d = await deployAndWait(token, project, dir);
  if (d.final.kind !== 'done') throw new Error(`deploy failed: ${d.final.message}`);
  await api('POST', `/v1/projects/${project}/tasks/sync`, { token });
  const minute = Math.ceil((Date.now() + 2000) / 60_000) * 60_000;
  console.log(`${taskCount} tasks due at ${new Date(minute).toISOString()}; waiting...`);
  await sleep(Math.max(0, minute + 60_000 - Date.now()));
  const { client, connection } = await connectTemporal(testEnv());
  for (let i = 0; i < taskCount; i++)
    await client.schedule.getHandle(workflowIds.task(project, `due${i}`)).pause('bench done');
  const jobs = (await api('GET', `/v1/projects/${project}/jobs?all=1&limit=1000`, { token })).body.jobs as {
    task?: string;
    id: string;
  }[];
  const delays: number[] = [];
  for (const j of jobs.filter((x) => x.task)) {
    const logs = await api('GET', `/v1/projects/${project}/jobs/${j.id}/logs?limit=1`, { token });
    const ts = logs.body.lines?.[0]?.ts;
    if (ts && Date.parse(ts) >= minute && Date.parse(ts) < minute + 60_000)
      delays.push(Date.parse(ts) - minute);
  }
  console.log(
    `started (first line) within the minute: ${delays.length}/${taskCount}; ${delays.length ? stats(delays) : ''} after the fire time`,
  );
  for (let i = 0; i < taskCount; i++)
    await client.schedule.getHandle(workflowIds.task(project, `due${i}`)).delete();
  await connection.close();
}

async function main(): Promise<void> {
  const user = await newUser();
  const project = unique('benchjobs');
  await api('POST', '/v1/projects', { token: user.token, body: { name: project } });
  const env = { RORO_TOKEN: user.token, RORO_PROJECT: project, RORO_URL: testEnv().apiUrl };
  const dir = projectCopy('hello', project);
  const d = await deployAndWait(user.token, project, dir);
  if (d.final.kind !== 'done') throw new Error(`deploy failed: ${d.final.message}`);
  const image = (await api('GET', `/v1/projects/${project}/releases`, { token: user.token })).body.releases[0]
    .image as string;
  const roroTimes: number[] = [];
  const dockerTimes: number[] = [];
  await dockerFirstLine(image); // warm the page cache for both sides
  for (let i = 0; i < runs; i++) {
    dockerTimes.push(await dockerFirstLine(image));
    roroTimes.push(await roroFirstLine(user.token, project, env));
  }
  console.log(`image ${image}`);
  console.log(`docker run → first line: ${stats(dockerTimes)}`);
  console.log(
    `roro run   → first line: ${stats(roroTimes)}  (CLI start, API, workflow, container, log store)`,
  );
  await sameMinute(user.token, project, dir);
}

main().catch((err: unknown) => {
  console.error((err as Error).stack ?? String(err));
  process.exit(1);
});
