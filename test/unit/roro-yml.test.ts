import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseRoroYml, validateRoroYml, type Issue } from '../../core/roro-yml.js';
import { ConfigError } from '../../core/errors.js';

// Compiled to dist/test/unit/; the fixtures stay in the source tree.
const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/roro-yml/', import.meta.url));
const fixture = (name: string): string => readFileSync(`${FIXTURES}${name}`, 'utf8');

/** [path, line, column] of every expected issue, and a pattern its message must match. */
type Expected = [string, number, number, RegExp?][];

const ERROR_FIXTURES: Record<string, Expected> = {
  'error-misindented-function.yml': [
    ['', 4, 3, /"function" must be indented under the service that starts on line 3, aligned with "name"/],
  ],
  'error-function-at-top-level.yml': [
    [
      'function',
      4,
      1,
      /belongs to the service that starts on line 3; it must be indented under it, aligned with "name"/,
    ],
  ],
  'error-tab-indent.yml': [['', 4, 1, /tab characters/]],
  'error-duplicate-key.yml': [['', 5, 5, /duplicated mapping key "function"/]],
  'error-unknown-key-typo.yml': [
    ['services[0].funtion', 4, 5, /unknown key "funtion" in a service \(did you mean "function"\?\)/],
    ['services[0].sise', 5, 5, /did you mean "size"/],
  ],
  'error-unknown-top-key.yml': [
    ['runtim', 2, 1, /did you mean "runtime"/],
    ['servises', 3, 1, /did you mean "services"/],
    ['colour', 6, 1, /unknown key "colour" at the top level$/],
  ],
  'error-task-key-in-service.yml': [['services[0].when', 5, 5, /"when" is a task key/]],
  'error-top-key-in-service.yml': [['services[0].runtime', 5, 5, /"runtime" is a top-level key/]],
  'error-missing-project.yml': [['project', 1, 1, /project name is missing/]],
  'error-invalid-project-name.yml': [
    ['project', 1, 10, /project name "Credit_Risk" is invalid: a project name must be/],
  ],
  'error-service-missing-name.yml': [['services[0].name', 3, 5, /a service needs a name/]],
  'error-service-invalid-name.yml': [
    ['services[0].name', 3, 11, /service name "Predict--API" is invalid/],
    ['services[1].name', 5, 11, /expected a service name \(a string\), got the number 42/],
  ],
  'error-service-duplicate-name.yml': [
    ['services[1].name', 5, 11, /"default" is already used by services\[0\]/],
  ],
  'error-service-function-and-command.yml': [
    ['services[0].command', 5, 14, /either "function" or "command", not both/],
  ],
  'error-service-no-function-or-command.yml': [['services[0]', 3, 5, /needs "function".* or "command"/]],
  'error-service-bad-function.yml': [
    ['services[0].function', 4, 15, /"predict" is not a module.function path/],
    ['services[1].function', 6, 15, /"predict.py:predict" is not/],
  ],
  'error-service-directory-escape.yml': [
    ['services[0].directory', 5, 16, /must stay inside the project/],
    ['services[1].directory', 8, 16, /"\/etc" must stay inside the project/],
  ],
  'error-service-bad-cors.yml': [
    ['services[0].cors_allow_origins[1]', 7, 9, /expected an origin string, got the number 42/],
  ],
  'error-service-bad-volumes.yml': [
    [
      'services[0].volumes',
      5,
      14,
      /at most 20 of the project's volume names, or \[\] for none, got the string "data"/,
    ],
    ['services[1].volumes', 8, 14, /got a list/],
  ],
  'error-service-bad-replicas.yml': [
    ['services[0].replicas', 5, 15, /from 1 to 10, got the number 11/],
    ['services[1].replicas', 8, 15, /got the string "2"/],
  ],
  'error-service-bad-health-path.yml': [['services[0].health_path', 5, 18, /must start with \//]],
  'error-service-bad-timeout.yml': [
    ['services[0].timeout', 5, 14, /expected a duration .* got the number 0/],
    ['services[0].start_timeout', 6, 20, /got the string "soon"/],
  ],
  'error-service-bad-env.yml': [
    ['services[0].env.model-name', 6, 7, /must be upper-case letters/],
    ['services[0].env.WORKERS', 7, 16, /expected a string value, got the number 4/],
  ],
  'error-service-not-mapping.yml': [
    ['services[0]', 3, 5, /expected a mapping .* got the string "predict.predict"/],
  ],
  'error-services-not-list.yml': [['services', 3, 3, /expected a list of services.* got a mapping/]],
  'error-task-missing-command.yml': [['tasks[0].command', 3, 5, /a task needs a command/]],
  'error-task-when-and-cron.yml': [['tasks[0].cron', 6, 11, /either "when" or "cron", not both/]],
  'error-task-no-schedule.yml': [['tasks[0]', 3, 5, /a task needs a schedule/]],
  'error-task-bad-when.yml': [
    ['tasks[0].when', 5, 11, /Cannot read the schedule "every fortnight".*"every 2 hours"/],
  ],
  'error-task-bad-cron.yml': [['tasks[0].cron', 5, 11, /the hour field has 25, outside 0-23/]],
  'error-task-bad-timezone.yml': [['tasks[0].timezone', 6, 15, /unknown timezone "Mars\/Olympus"/]],
  'error-task-bad-retries.yml': [['tasks[0].retries', 6, 14, /from 0 to 10, got the number -1/]],
  'error-task-bad-overlap.yml': [
    ['tasks[0].overlap', 6, 14, /expected one of skip, buffer_one, cancel_previous, allow_all/],
  ],
  'error-task-duplicate-name.yml': [
    ['tasks[1].name', 6, 11, /task name "train" is already used by tasks\[0\]/],
  ],
  'error-wrong-types.yml': [
    ['runtime', 2, 10, /expected a non-empty string, got the number 3/],
    ['services[0].function', 5, 15, /got a list/],
    ['services[0].size', 6, 5, /got nothing/],
    ['tasks[0].timeout', 11, 14, /got the string "2 days"/],
  ],
  'error-empty.yml': [['', 1, 1, /the file is empty/]],
  'error-not-mapping.yml': [['', 1, 1, /expected a mapping .* got a list/]],
  'error-many-problems.yml': [
    ['project', 1, 10, /"Credit Risk" is invalid/],
    ['services[0].funtion', 5, 5, /did you mean "function"/],
    ['services[1].name', 6, 11, /already used/],
    ['services[1].replicas', 8, 15, /got the number 0/],
    ['tasks[0].when', 12, 11, /hour 25 is out of range/],
    ['tasks[1].cron', 15, 11, /has 4 fields/],
    ['tasks[1].overlap', 16, 14, /got the string "sometimes"/],
  ],
};

void test('every error rule has a fixture and every error fixture is listed', () => {
  const files = readdirSync(FIXTURES).filter((f) => f.startsWith('error-'));
  assert.deepEqual(files.sort(), Object.keys(ERROR_FIXTURES).sort());
});

for (const [name, expected] of Object.entries(ERROR_FIXTURES)) {
  void test(`fixture ${name} reports exactly its issues`, () => {
    const { config, issues } = validateRoroYml(fixture(name));
    assert.equal(config, undefined);
    assert.deepEqual(
      issues.map((i) => [i.path, i.line, i.column]),
      expected.map(([path, line, column]) => [path, line, column]),
    );
    expected.forEach(([, , , re], n) => {
      if (re) assert.match(issues[n]!.message, re);
      assert.ok(issues[n]!.hint.length > 0, `${name}: issue ${n} has a fix`);
    });
  });
}

void test('the mis-indented function says where it belongs and the column to use', () => {
  const [issue] = validateRoroYml(fixture('error-misindented-function.yml')).issues as [Issue];
  assert.equal(issue.hint, 'indent "function" to column 5, the column of "name" on line 3');
  const [top] = validateRoroYml(fixture('error-function-at-top-level.yml')).issues as [Issue];
  assert.equal(top.hint, 'indent "function" to column 3, the column of "name" on line 3');
});

void test('an over-indented top-level key is not blamed on the service above it', () => {
  const text = 'project: credit-risk\nservices:\n  - name: default\n    function: a.b\n  tasks:\n';
  const [issue] = validateRoroYml(text).issues as [Issue];
  assert.match(issue.message, /"tasks" is a top-level key/);
  assert.equal(issue.hint, 'remove the indentation before "tasks" so it starts at column 1');
});

void test('parseRoroYml throws one ConfigError listing every problem', () => {
  assert.throws(
    () => parseRoroYml(fixture('error-many-problems.yml'), { filename: 'credit-risk/roro.yml' }),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      const lines = err.message.split('\n');
      assert.equal(lines[0], 'credit-risk/roro.yml: 7 problems found:');
      assert.equal(lines.length, 8);
      assert.equal(
        lines[2],
        '  5:5 services[0].funtion: unknown key "funtion" in a service (did you mean "function"?) (fix: rename it to "function")',
      );
      assert.equal((err.details as Issue[]).length, 7);
      assert.equal(err.status, 400);
      return true;
    },
  );
  assert.throws(
    () => parseRoroYml(fixture('error-tab-indent.yml')),
    /^ConfigError: roro.yml: 1 problem found:\n {2}4:1 tab/,
  );
});

void test('loan-scoring-demo parses unchanged', () => {
  assert.deepEqual(parseRoroYml(fixture('loan-scoring-demo.yml')), {
    project: 'loan-scoring-demo',
    runtime: 'rorodata/sandbox',
    services: [{ name: 'default', function: 'train.predict', replicas: 1, env: {} }],
    tasks: [],
  });
});

void test('credit-risk parses with services and every documented when form', () => {
  const config = parseRoroYml(fixture('credit-risk.yml'));
  assert.equal(config.runtime, 'python3-keras:2018.03');
  assert.deepEqual(config.services[0], {
    name: 'default',
    function: 'predict.predict',
    size: 'S2',
    corsAllowOrigins: ['*'],
    replicas: 1,
    env: {},
  });
  assert.equal(config.services[1]?.directory, 'src');
  assert.deepEqual(
    config.tasks.map((t) => [t.name, t.schedule]),
    [
      ['train-daily', { kind: 'cron', cron: '0 10 * * *', timezone: 'UTC' }],
      ['train-evening', { kind: 'cron', cron: '0 20 * * *', timezone: 'UTC' }],
      ['weekly-report', { kind: 'cron', cron: '0 10 * * 0', timezone: 'UTC' }],
      ['monthly-report', { kind: 'cron', cron: '0 10 1 * *', timezone: 'UTC' }],
      ['billing', { kind: 'cron', cron: '0 10 2 * *', timezone: 'UTC' }],
      ['refresh', { kind: 'interval', everySeconds: 7200 }],
    ],
  );
  assert.deepEqual(config.tasks[2], {
    name: 'weekly-report',
    command: 'python report.py',
    when: 'every week on sunday at 10:00 AM',
    timezone: 'UTC',
    schedule: { kind: 'cron', cron: '0 10 * * 0', timezone: 'UTC' },
    size: 'Z64',
    retries: 0,
    overlap: 'skip',
  });
});

void test('a command service parses, with its directory normalised', () => {
  const config = parseRoroYml(fixture('command-service.yml'));
  assert.deepEqual(config.services, [
    { name: 'default', command: 'gunicorn -b 0.0.0.0:$PORT app:app', replicas: 1, env: {} },
    { name: 'worker', command: 'python worker.py', directory: 'services/worker', replicas: 1, env: {} },
  ]);
});

void test("roro's extensions parse next to the rorodata keys", () => {
  const config = parseRoroYml(fixture('extensions.yml'));
  assert.deepEqual(config.services[0], {
    name: 'default',
    function: 'model.score',
    corsAllowOrigins: ['https://app.example.com', 'https://admin.example.com'],
    replicas: 3,
    healthPath: '/healthz',
    timeoutSeconds: 30,
    startTimeoutSeconds: 120,
    env: { MODEL_NAME: 'fraud', BATCH_SIZE: '64' },
    volumes: ['data'],
  });
  assert.deepEqual(config.tasks[0], {
    name: 'nightly',
    command: 'python train.py',
    cron: '30 2 * * mon-fri',
    timezone: 'Asia/Kolkata',
    schedule: { kind: 'cron', cron: '30 2 * * 1-5', timezone: 'Asia/Kolkata' },
    timeoutSeconds: 7200,
    retries: 2,
    overlap: 'cancel_previous',
  });
  assert.deepEqual(config.tasks[1]?.schedule, { kind: 'interval', everySeconds: 900 });
});

void test('RORO_PROJECT stands in for a missing project, and is checked', () => {
  const text = 'services:\n  - name: default\n    function: predict.predict\n';
  assert.equal(parseRoroYml(text, { project: 'credit-risk' }).project, 'credit-risk');
  assert.equal(parseRoroYml(`project: from-file\n${text}`, { project: 'credit-risk' }).project, 'from-file');
  const { issues } = validateRoroYml(text, { project: 'Bad Name' });
  assert.deepEqual(
    issues.map((i) => [i.path, i.line, i.column]),
    [['project', 1, 1]],
  );
  assert.match(issues[0]!.message, /RORO_PROJECT "Bad Name" is not a valid project name/);
});

void test('empty services and tasks sections are allowed', () => {
  const config = parseRoroYml('project: notebooks-only\nservices:\ntasks: []\n');
  assert.deepEqual(config, { project: 'notebooks-only', runtime: 'python3', services: [], tasks: [] });
});
