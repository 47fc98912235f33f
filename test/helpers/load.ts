import fs from 'node:fs';
import path from 'node:path';
import { api, roro, testEnv } from './platform.js';
import { continuousLoad, deployAndWait, projectCopy, type DeployEvent } from './deploy.js';

/** One fixture per way a deploy fails, with what its failure message must say. */
export const FAILING_DEPLOYS = [
  {
    kind: 'import error',
    fixture: 'fail-import',
    message: /Service default exited with code \d+ before it became ready/,
  },
  { kind: 'bad requirement', fixture: 'fail-requirement', message: /roro-no-such-package-zq/ },
  { kind: 'crash on start', fixture: 'fail-crash', message: /exited with code 3 before it became ready/ },
  { kind: 'never ready', fixture: 'fail-never-ready', message: /did not become ready within 5 s/ },
  {
    kind: 'out of memory',
    fixture: 'fail-oom',
    message: /killed for using more memory than its size allows/,
  },
] as const;

export interface DeployOutcome {
  kind: string;
  final: DeployEvent;
  ms: number;
}

/** The hello fixture answering `version` = v. */
export function helloVersion(project: string, v: string): string {
  return projectCopy('hello', project, (dir) => {
    const f = path.join(dir, 'greet.py');
    fs.writeFileSync(f, fs.readFileSync(f, 'utf8').replace(/VERSION = ".*"/, `VERSION = "${v}"`));
  });
}

/** The order of the storm: `redeploys` good ones with the failing kinds spread evenly between them. */
export function stormPlan(redeploys: number, failing: number): ('good' | number)[] {
  const plan: ('good' | number)[] = [];
  let next = 0;
  for (let i = 1; i <= redeploys; i++) {
    plan.push('good');
    while (next < failing && Math.floor(((next + 1) * redeploys) / (failing + 1)) <= i) plan.push(next++);
  }
  while (next < failing) plan.push(next++);
  return plan;
}

/**
 * Deploys v0 of the hello fixture, then, under continuous requests on `connections` connections,
 * `redeploys` code changes (v1...vN) and every kind of failing deploy in between. Returns each
 * deploy's outcome and the requests' counts; the project must already exist.
 */
export async function deployStorm(opts: {
  token: string;
  project: string;
  redeploys: number;
  connections: number;
  onDeploy?: (o: DeployOutcome) => void;
}) {
  const { token, project } = opts;
  const firstDir = helloVersion(project, 'v0');
  const first = await deployAndWait(token, project, firstDir);
  fs.rmSync(firstDir, { recursive: true, force: true });
  if (first.final.kind !== 'done') throw new Error(`the first deploy failed: ${first.final.message}`);
  const load = continuousLoad(
    `/${project}/hello`,
    { name: 'load' },
    Number.MAX_SAFE_INTEGER,
    opts.connections,
  );
  const outcomes: DeployOutcome[] = [];
  let good = 0;
  const t0 = performance.now();
  try {
    for (const step of stormPlan(opts.redeploys, FAILING_DEPLOYS.length)) {
      const kind = step === 'good' ? `redeploy v${++good}` : FAILING_DEPLOYS[step]!.kind;
      const dir =
        step === 'good'
          ? helloVersion(project, `v${good}`)
          : projectCopy(FAILING_DEPLOYS[step]!.fixture, project);
      const started = performance.now();
      const d = await deployAndWait(token, project, dir);
      fs.rmSync(dir, { recursive: true, force: true });
      const o = { kind, final: d.final, ms: performance.now() - started };
      outcomes.push(o);
      opts.onDeploy?.(o);
    }
    // Requests sent just after the last switch reach the new release too.
    await new Promise((r) => setTimeout(r, 1000));
  } finally {
    await load.stop();
  }
  return { outcomes, load: load.stats, seconds: (performance.now() - t0) / 1000, lastVersion: `v${good}` };
}

/** What `count` concurrent jobs print: `line 1` ... `line <lines>`, a few milliseconds apart. */
export const jobProgram = (lines: number) =>
  `import time\nfor i in range(1, ${lines + 1}):\n    print("line", i, flush=True)\n    time.sleep(0.01)\n`;

export interface JobCheck {
  id: string;
  status: string;
  lines: number;
  missing: number;
}

async function allLogLines(token: string, project: string, id: string): Promise<string[]> {
  const out: string[] = [];
  for (let after = 0; ;) {
    const res = await api('GET', `/v1/projects/${project}/jobs/${id}/logs?after=${after}&limit=5000`, {
      token,
    });
    if (res.status !== 200) throw new Error(`logs of job ${id}: ${res.status} ${JSON.stringify(res.body)}`);
    const lines = res.body.lines as { seq: number; stream: string; line: string }[];
    if (lines.length === 0) return out;
    out.push(...lines.filter((l) => l.stream === 'stdout').map((l) => l.line));
    after = lines.at(-1)!.seq;
  }
}

/**
 * Starts `count` jobs at once with `roro run` (one CLI process each), waits until none runs (at most
 * `waitMs`), and checks each one's stored log line by line. The project needs a release and a
 * running_jobs quota of at least `count`.
 */
export async function jobBurst(opts: {
  token: string;
  project: string;
  count: number;
  lines: number;
  waitMs: number;
}) {
  const { token, project, count, lines } = opts;
  const env = { RORO_TOKEN: token, RORO_PROJECT: project, RORO_URL: testEnv().apiUrl };
  const t0 = performance.now();
  const runs = await Promise.all(
    Array.from({ length: count }, () =>
      roro(['run', '--json', 'python', '-c', jobProgram(lines)], { env, timeoutMs: 300_000 }),
    ),
  );
  const startedMs = performance.now() - t0;
  const refused = runs.filter((r) => r.code !== 0).map((r) => r.stderr.trim() || `exit ${r.code}`);
  const ids = runs.filter((r) => r.code === 0).map((r) => JSON.parse(r.stdout).jobid as string);
  let running = ids.length;
  while (running > 0 && performance.now() - t0 < opts.waitMs) {
    await new Promise((r) => setTimeout(r, 2000));
    const list = await api('GET', `/v1/projects/${project}/jobs`, { token });
    running = (list.body.jobs as { id: string }[]).filter((j) => ids.includes(j.id)).length;
  }
  const finishedMs = performance.now() - t0;
  const checks: JobCheck[] = [];
  for (const id of ids) {
    const job = (await api('GET', `/v1/projects/${project}/jobs/${id}`, { token })).body.job as {
      status: string;
    };
    const got = await allLogLines(token, project, id);
    const want = new Set(Array.from({ length: lines }, (_, i) => `line ${i + 1}`));
    for (const l of got) want.delete(l);
    checks.push({ id, status: job.status, lines: got.length, missing: want.size });
  }
  const complete = checks.filter((c) => c.status === 'success' && c.missing === 0 && c.lines === lines);
  return { refused, checks, complete: complete.length, startedMs, finishedMs };
}
