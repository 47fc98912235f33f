/**
 * Swarm against local: deploy time and requests per second of one HTTP service of `replicas: 2`
 * (the hello fixture) on the platform `roro server up` started (local driver, the baseline) and on a
 * cluster-mode platform (Swarm driver) that this benchmark starts on a Docker engine of its own, in
 * the same run. Rounds alternate the two so both see the same machine load; every figure is printed
 * for each platform and as the ratio Swarm/local. Usually started by bench/cluster/run.sh.
 *
 * Env: RORO_HOME (the running platform; its ports come from its state file unless RORO_PORT_BASE
 * is set), BENCH_ROUNDS (3 code-only deploys and throughput runs per platform, 1..10),
 * BENCH_SECONDS (10 per throughput run, 2..60), BENCH_CONNECTIONS (8, 1..64).
 */
import fs from 'node:fs';
import { unique } from '../../test/helpers/platform.js';
import { median } from '../deploy/http.js';
import { Cleanup } from './cleanup.js';
import { benchProject, setVersion, throughput, timedDeploy, type DeployTime } from './measure.js';
import { addProject, baselineEnv, localTarget, swarmTarget, type Target } from './platforms.js';
import type { Throughput } from './wrk.js';

const setting = (name: string, fallback: number, min: number, max: number) => {
  const n = Number(process.env[name] ?? fallback);
  return Number.isInteger(n) ? Math.min(Math.max(n, min), max) : fallback;
};
const rounds = setting('BENCH_ROUNDS', 3, 1, 10);
const load = {
  seconds: setting('BENCH_SECONDS', 10, 2, 60),
  connections: setting('BENCH_CONNECTIONS', 8, 1, 64),
};
const log = (line: string) => console.error(line);
const sec = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** Both platforms, in the order of round r: the first one alternates, so neither always goes first. */
const inTurn = (r: number, pair: [Target, Target]) => (r % 2 ? pair : ([pair[1], pair[0]] as const));

const NONE: DeployTime = { doneMs: 0, servingMs: 0 };

interface Figures {
  /** The platform's first deploy: on Swarm it pushes the base and runtime images to the new registry. */
  first: DeployTime;
  /** The first deploy of a second project, once the registry holds them. */
  another: DeployTime;
  codeOnly: DeployTime[];
  load: Throughput[];
}

/** Each figure: its label, how to read it from one platform's figures, and how to print it. */
const ROWS: [string, (f: Figures) => number, (v: number) => string][] = [
  ['first deploy, done', (f) => f.first.doneMs, sec],
  ['first deploy, serving', (f) => f.first.servingMs, sec],
  ["another project's first deploy, serving", (f) => f.another.servingMs, sec],
  ['code-only deploy, done (median)', (f) => median(f.codeOnly.map((d) => d.doneMs)), sec],
  ['code-only deploy, serving (median)', (f) => median(f.codeOnly.map((d) => d.servingMs)), sec],
  ['requests/s (median)', (f) => median(f.load.map((t) => t.rps)), (v) => v.toFixed(0)],
  ['latency p50 (median)', (f) => median(f.load.map((t) => t.p50Ms)), (v) => `${v.toFixed(1)} ms`],
  ['latency p99 (median)', (f) => median(f.load.map((t) => t.p99Ms)), (v) => `${v.toFixed(1)} ms`],
  ['failed requests (all runs)', (f) => f.load.reduce((n, t) => n + t.errors, 0), String],
];

function report(local: Figures, swarm: Figures): void {
  console.log(
    `\nhello, one HTTP service with replicas: 2; ${rounds} round(s) alternating local and Swarm;` +
      ` wrk -t1 -c${load.connections} -d${load.seconds}s POST through each platform's gateway`,
  );
  const line = (cells: string[]) =>
    cells[0]!.padEnd(42) +
    cells
      .slice(1)
      .map((c) => c.padStart(12))
      .join('');
  console.log(line(['', 'local', 'Swarm', 'Swarm/local']));
  for (const [label, read, show] of ROWS) {
    const [l, w] = [read(local), read(swarm)];
    console.log(line([label, show(l), show(w), l ? (w / l).toFixed(2) : '-']));
  }
  const perRound = swarm.load.map((x, i) => (x.rps / local.load[i]!.rps).toFixed(2));
  console.log(`requests/s Swarm/local in each round (the two runs back to back): ${perRound.join(', ')}`);
  console.log(
    'Deploy times run from the upload to the deploy\'s end ("done") and to the first answer of the new code.',
  );
}

async function main(): Promise<void> {
  const cleanup = new Cleanup();
  cleanup.onSignals();
  try {
    const env = baselineEnv();
    log(`-----> baseline: the platform in ${env.home} (API ${env.apiUrl})`);
    const local = await localTarget(cleanup, unique('bench-local'));
    const swarm = await swarmTarget(cleanup, unique('bench-swarm'), log);
    const pair: [Target, Target] = [local, swarm];
    const copy = (t: Target) => {
      const dir = benchProject(t);
      cleanup.add(`remove ${dir}`, async () => fs.rmSync(dir, { recursive: true, force: true }));
      return dir;
    };
    const code = new Map(pair.map((t) => [t, copy(t)]));
    const figures = new Map<Target, Figures>(
      pair.map((t) => [t, { first: NONE, another: NONE, codeOnly: [], load: [] }]),
    );
    const at = (t: Target) => figures.get(t)!;
    const deploy = async (what: string, t: Target, dir: string, version: string) => {
      setVersion(dir, version);
      const d = await timedDeploy(t, dir, version);
      log(`${what.padEnd(16)} ${t.label.padEnd(5)} done ${sec(d.doneMs)}, serving ${sec(d.servingMs)}`);
      return d;
    };

    for (const t of pair) at(t).first = await deploy('first deploy', t, code.get(t)!, 'r0');
    for (const t of inTurn(2, pair)) {
      const other = await addProject(t, unique(`bench-${t.label.toLowerCase()}`), cleanup);
      at(t).another = await deploy('another project', other, copy(other), 'a0');
    }
    for (let r = 1; r <= rounds; r++)
      for (const t of inTurn(r, pair))
        at(t).codeOnly.push(await deploy(`code-only r${r}`, t, code.get(t)!, `r${r}`));
    // A short run each first: connections, TLS sessions and the function servers warmed alike.
    for (const t of pair) await throughput(t, { seconds: 2, connections: load.connections });
    for (let r = 1; r <= rounds; r++)
      for (const t of inTurn(r, pair)) {
        const x = await throughput(t, load);
        at(t).load.push(x);
        log(
          `throughput r${r}    ${t.label.padEnd(5)} ${x.rps.toFixed(0)} req/s, p50 ${x.p50Ms} ms, p99 ${x.p99Ms} ms, ${x.errors} failed`,
        );
      }
    report(at(local), at(swarm));
  } finally {
    log('-----> removing the projects, the cluster-mode platform and its engine');
    await cleanup.run();
    log('-----> removed');
  }
}

main().catch((err: Error) => {
  console.error(`Error: ${err.message}`);
  process.exitCode = 1;
});
