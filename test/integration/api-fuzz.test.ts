import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { homePaths, REPO_ROOT } from '../../core/config.js';
import { adminLogin, api, apiUrl, newUser, testEnv, unique } from '../helpers/platform.js';
import { deployAndWait, projectCopy } from '../helpers/deploy.js';

/** schemathesis, pinned and installed by scripts/setup.sh in the project's virtualenv. */
const SCHEMATHESIS = process.env.RORO_SCHEMATHESIS ?? path.join(REPO_ROOT, '.venv', 'bin', 'schemathesis');
const FUZZ = path.join(REPO_ROOT, 'test', 'fuzz');
const CHECKS = [
  'not_a_server_error',
  'status_code_conformance',
  'content_type_conformance',
  'response_schema_conformance',
  'refusal_names_the_field', // test/fuzz/hooks.py
];
/**
 * Random cases per operation, on top of the coverage phase's boundary cases; with a fixed seed
 * a run is repeatable and each takes about a minute here.
 */
const MAX_EXAMPLES = 5;
const SEED = 1;
/** A documentation address (RFC 5737), only ever a header value here. */
const FUZZER_ADDRESS = '192.0.2.1';

const apiLog = () => path.join(homePaths(testEnv().home).logs, 'api.log');

let admin = '';
let outsider = '';
let project = '';
let service = '';
let copy = '';

before(async () => {
  admin = await adminLogin();
  outsider = (await newUser()).token;
  project = unique('fuzz');
  assert.equal((await api('POST', '/v1/projects', { token: admin, body: { name: project } })).status, 201);
  copy = projectCopy('hello', project);
  const dep = await deployAndWait(admin, project, copy);
  assert.equal(dep.final.kind, 'done', JSON.stringify(dep.events));
  service = 'default';
  // Fuzzed job starts are refused by the quota instead of starting containers.
  const quota = await api('PUT', `/v1/projects/${project}/quotas`, {
    token: admin,
    body: { running_jobs: 0 },
  });
  assert.equal(quota.status, 200, JSON.stringify(quota.body));
});

after(async () => {
  await api('DELETE', `/v1/projects/${project}`, { token: admin });
  if (copy) fs.rmSync(copy, { recursive: true, force: true });
});

/** Runs schemathesis against the platform's document as the given user; resolves with its output. */
function fuzz(token: string, exclude: string[]): Promise<{ code: number | null; out: string }> {
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'roro-fuzz-'));
  const args = [
    '--config-file',
    path.join(FUZZ, 'schemathesis.toml'),
    'run',
    `${apiUrl()}/v1/openapi.json`,
    '--header',
    `Authorization: Bearer ${token}`,
    // The API trusts X-Forwarded-For from loopback (the gateway's): the fuzzer's failed logins count
    // against an address of their own, so the login throttle does not hold back the tests after it.
    '--header',
    `X-Forwarded-For: ${FUZZER_ADDRESS}`,
    '--phases',
    'coverage,fuzzing',
    '--max-examples',
    String(MAX_EXAMPLES),
    '--seed',
    String(SEED),
    // One worker: hypothesis parses lambda sources with ast.parse, which CPython 3.11 cannot run in
    // two threads at once ("AST constructor recursion depth mismatch", a runtime error of the run).
    '--workers',
    '1',
    '--checks',
    CHECKS.join(','),
    ...exclude.flatMap((id) => ['--exclude-operation-id', id]),
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(SCHEMATHESIS, args, {
      cwd,
      env: {
        ...process.env,
        RORO_FUZZ_PROJECT: project,
        SCHEMATHESIS_HOOKS: path.join(FUZZ, 'hooks.py'),
        NO_COLOR: '1',
      },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 5 * 60 * 1000);
    child.on('error', (err) =>
      reject(new Error(`cannot run ${SCHEMATHESIS} (${err.message}): run scripts/setup.sh to install it.`)),
    );
    child.on('close', (code) => {
      clearTimeout(timer);
      fs.rmSync(cwd, { recursive: true, force: true });
      resolve({ code, out });
    });
  });
}

/** The "N generated, ..." line of schemathesis' summary. */
function casesRun(out: string): number {
  const m = /(\d+) generated/.exec(out);
  assert.ok(m, `no summary in the schemathesis output:\n${out.slice(-3000)}`);
  return Number(m[1]);
}

test('a service log request with a malformed since is a 400 naming query.since (was a 500 from Docker)', async () => {
  const res = await api('GET', `/v1/projects/${project}/services/${service}/logs?since=abc`, {
    token: admin,
  });
  assert.equal(res.status, 400, JSON.stringify(res.body));
  assert.match(res.body.error.message, /^query\.since must be in datetime format/);
});

for (const who of ['admin', 'non-member'] as const) {
  test(`schemathesis fuzzes every operation as ${who === 'admin' ? 'an admin' : 'a non-member'}: no 5xx, no response off the schema, every refusal a JSON error naming the field`, async (t) => {
    const before = fs.statSync(apiLog()).size;
    // The admin keeps its token, its project and the platform's memory: logout, project removal and
    // notebook starts (a Jupyter container each) are fuzzed by the non-member, who is refused them.
    const run =
      who === 'admin'
        ? await fuzz(admin, [
            'postAuthLogout',
            'deleteSessionsCurrent',
            'deleteProjectsName',
            'postProjectsNameNotebooks',
          ])
        : await fuzz(outsider, ['postAuthLogout', 'deleteSessionsCurrent']);
    const cases = casesRun(run.out);
    t.diagnostic(`schemathesis as ${who}: ${cases} cases run`);
    console.log(`schemathesis as ${who}: ${cases} cases run, exit ${run.code}`);
    assert.equal(run.code, 0, run.out.slice(-6000));
    const added = fs.readFileSync(apiLog()).subarray(before).toString();
    assert.doesNotMatch(added, /internal error/, 'the API logged an internal error while fuzzed');
    assert.ok(await adminLogin(), 'logins from loopback still pass the throttle');
  });
}
