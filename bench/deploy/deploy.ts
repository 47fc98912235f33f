/**
 * Deploy time of roro against its floor, measured in the same run on examples/credit-risk:
 *
 *   cold       first deploy of a freshly created project, with a requirements.txt no build has seen
 *   code-only  redeploys that change one line of predict.py (the pip layer is cached)
 *
 * roro: `roro deploy` until the gateway serves the new release. Floor: plain `docker build` of the
 * same generated Dockerfile + `docker run` + first successful request (floor.ts). Rounds alternate
 * roro and floor so both see the same machine load. Usually started by bench/deploy/run.sh.
 *
 * Env: RORO_HOME (for tls/ca.crt), RORO_URL (the API; else the CLI's default), BENCH_PROJECT
 * (bench-deploy), BENCH_ROUNDS (3 code-only rounds, 1..10), BENCH_FLOOR_ONLY=1 (skip roro),
 * BENCH_KEEP=1 (keep the project after the run).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { ensureRuntimeImage } from '../../activities/images.js';
import { homePaths, parsePlatformEnv, REPO_ROOT } from '../../core/config.js';
import { resolveSize } from '../../core/sizes.js';
import {
  floorCleanup,
  floorContext,
  floorRound,
  removeContainer,
  removeProjectLeftovers,
  waitProjectGone,
} from './floor.js';
import { median } from './http.js';
import { deployRound, freshProject, hasDeploy, roro, type DeployRound } from './roro.js';

const EXAMPLE = path.join(REPO_ROOT, 'examples', 'credit-risk');
const CALL = {
  fn: 'predict.predict',
  args: { age: 35, income: 52000, debt: 9000, late_payments: 1, years_employed: 4 },
};
const project = process.env.BENCH_PROJECT || 'bench-deploy';
const rounds = Math.min(Math.max(Number(process.env.BENCH_ROUNDS ?? 3) || 3, 1), 10);
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** A copy of the example under another project name; model.joblib and caches are left out. */
function copyExample(into: string): void {
  fs.cpSync(EXAMPLE, into, {
    recursive: true,
    filter: (src) => !/(^|\/)(model\.joblib|__pycache__)$/.test(src),
  });
  const yml = path.join(into, 'roro.yml');
  fs.writeFileSync(yml, fs.readFileSync(yml, 'utf8').replace(/^project: .*$/m, `project: ${project}`));
  // A requirements.txt no earlier build has seen makes the first build cold for roro and the floor alike.
  const nonce = (who: string) => `# bench ${who} ${randomBytes(6).toString('hex')}\n`;
  fs.appendFileSync(path.join(into, 'requirements.txt'), nonce('cold'));
}

function editCode(dir: string, round: number): void {
  fs.appendFileSync(path.join(dir, 'predict.py'), `# bench edit ${round}\n`);
}

function report(label: string, roroMs: number | undefined, floorMs: number, extra = ''): void {
  const ratio = roroMs === undefined ? 'n/a (roro not measured)' : (roroMs / floorMs).toFixed(2);
  const r = roroMs === undefined ? '-' : s(roroMs);
  console.log(
    `${label.padEnd(22)} roro ${r.padStart(9)}   floor ${s(floorMs).padStart(9)}   ratio ${ratio}${extra}`,
  );
}

async function main(): Promise<void> {
  const env = parsePlatformEnv();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'roro-bench-deploy-'));
  const log = path.join(work, 'deploy.log');
  const withRoro = process.env.BENCH_FLOOR_ONLY !== '1' && (await hasDeploy());
  const ca = path.join(homePaths(env.home).tls, 'ca.crt');
  if (withRoro && !fs.existsSync(ca))
    throw new Error(`${ca} is missing: set RORO_HOME to the running platform's home.`);
  if (!withRoro)
    console.error('-----> roro deploy is not available (or BENCH_FLOOR_ONLY=1): measuring the floor only');

  const docker = new Docker({ socketPath: env.dockerSocket });
  const runtimeImage = (await ensureRuntimeImage(docker, 'python3')).image;
  const limits = resolveSize(undefined, { cpus: os.cpus().length, memoryBytes: os.totalmem() });
  const roroCode = path.join(work, 'roro');
  const floorCode = path.join(work, 'floor');
  copyExample(roroCode);
  copyExample(floorCode);
  const roroRounds: DeployRound[] = [];
  const floorRounds: { buildMs: number; readyMs: number }[] = [];
  const caBytes = withRoro ? fs.readFileSync(ca) : Buffer.alloc(0);
  let previous: string | undefined;
  try {
    if (withRoro) {
      // A project of that name from an earlier, interrupted run goes first, with anything it left.
      await removeProjectLeftovers(project);
      await freshProject(project);
    }
    for (let r = 0; r <= rounds; r++) {
      // Round 0 is the cold deploy; the others change one line of code first.
      if (r > 0) [roroCode, floorCode].forEach((d) => editCode(d, r));
      if (withRoro) {
        const d = await deployRound(roroCode, caBytes, CALL, log);
        roroRounds.push(d);
        console.error(
          `round ${r} roro:  command ${s(d.commandMs)}, serving version ${d.version} after ${s(d.readyMs)}`,
        );
      }
      const ctx = await floorContext(floorCode, runtimeImage, path.join(work, 'ctx'));
      const f = await floorRound(ctx, `r${r}`, limits, CALL);
      floorRounds.push(f);
      if (previous) await removeContainer(previous);
      previous = f.container;
      console.error(`round ${r} floor: build ${s(f.buildMs)}, serving after ${s(f.readyMs)}`);
    }
  } finally {
    await floorCleanup();
    if (withRoro && process.env.BENCH_KEEP !== '1') {
      await roro(['projects:delete', project, '--yes']);
      await waitProjectGone(project);
      const left = await removeProjectLeftovers(project);
      if (left)
        console.error(
          `warning: roro projects:delete left ${left} container(s)/image(s) of ${project}; removed them`,
        );
    }
  }

  console.log(
    `\nDeploy of examples/credit-risk (runtime ${runtimeImage}, size limits ${limits.cpus} CPU / ${limits.memoryBytes >> 20} MiB)`,
  );
  const cold = roroRounds[0];
  report(
    'cold (first deploy)',
    cold?.readyMs,
    floorRounds[0]!.readyMs,
    cold ? `   (roro deploy command ${s(cold.commandMs)})` : '',
  );
  const roroCodeOnly = roroRounds.slice(1);
  const floorCodeOnly = floorRounds.slice(1).map((f) => f.readyMs);
  report(
    `code-only (median/${rounds})`,
    roroCodeOnly.length ? median(roroCodeOnly.map((d) => d.readyMs)) : undefined,
    median(floorCodeOnly),
    roroCodeOnly.length ? `   (roro deploy command ${s(median(roroCodeOnly.map((d) => d.commandMs)))})` : '',
  );
  console.log(
    'Times run until the first successful POST /predict of the new code; floor = docker build + docker run + request.',
  );
  fs.rmSync(work, { recursive: true, force: true });
}

main().catch((err: Error) => {
  console.error(`Error: ${err.message}`);
  process.exitCode = 1;
});
