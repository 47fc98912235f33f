import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../core/errors.js';
import { projectFromYml, readRoroYml, resolveProject } from '../../cli/project.js';

function dirWith(yml?: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roro-cli-project-'));
  if (yml !== undefined) fs.writeFileSync(path.join(dir, 'roro.yml'), yml);
  return dir;
}

const withYml = dirWith(
  'project: credit-risk\nservices:\n  - name: default\n    function: predict.predict\n',
);
const empty = dirWith();

test('the --project flag wins over RORO_PROJECT and roro.yml', () => {
  assert.equal(resolveProject('flagged', { RORO_PROJECT: 'from-env' }, withYml), 'flagged');
});

test('RORO_PROJECT wins over roro.yml', () => {
  assert.equal(resolveProject(undefined, { RORO_PROJECT: 'from-env' }, withYml), 'from-env');
});

test('project: in ./roro.yml is used when nothing else names one', () => {
  assert.equal(resolveProject(undefined, {}, withYml), 'credit-risk');
  assert.equal(resolveProject('', { RORO_PROJECT: '' }, withYml), 'credit-risk');
});

test('no flag, no env and no roro.yml: a ConfigError that says all three ways', () => {
  assert.throws(
    () => resolveProject(undefined, {}, empty),
    (err: unknown) =>
      err instanceof ConfigError &&
      err.message ===
        'No project: run inside a project directory with roro.yml, or pass --project NAME / set RORO_PROJECT.',
  );
});

test('a roro.yml without project: gets a hint to add the key', () => {
  const dir = dirWith('services: []\n');
  assert.throws(
    () => resolveProject(undefined, {}, dir),
    (err: unknown) =>
      err instanceof ConfigError &&
      err.message.startsWith('No project:') &&
      /project: NAME/.test(err.hint ?? ''),
  );
});

test('invalid names are refused with where they came from', () => {
  assert.throws(() => resolveProject('Bad_Name', {}, empty), /from --project/);
  assert.throws(() => resolveProject(undefined, { RORO_PROJECT: 'x' }, empty), /from RORO_PROJECT/);
  assert.throws(() => resolveProject(undefined, {}, dirWith('project: Nope!\n')), /roro\.yml/);
});

test('a bare --project (cac gives true) is a usage error, a numeric one is a string', () => {
  assert.throws(() => resolveProject(true, {}, withYml), ConfigError);
  assert.throws(() => resolveProject(123, {}, withYml), /"123"/);
});

test('broken YAML is reported, with --project as the way out', () => {
  const dir = dirWith('project: a\n  services: [\n');
  assert.throws(
    () => resolveProject(undefined, {}, dir),
    (err: unknown) => err instanceof ConfigError && /--project/.test(err.hint ?? ''),
  );
  // ...but --project still works in that directory.
  assert.equal(resolveProject('credit-risk', {}, dir), 'credit-risk');
});

test('projectFromYml reads only the project key', () => {
  assert.equal(projectFromYml('project: demo\nservices: 3\nbogus: key\n'), 'demo');
  assert.equal(projectFromYml('- a\n- b\n'), undefined);
  assert.equal(projectFromYml(''), undefined);
});

test('readRoroYml reads only the current directory', () => {
  assert.equal(readRoroYml(empty), undefined);
  const nested = path.join(withYml, 'sub');
  fs.mkdirSync(nested, { recursive: true });
  assert.equal(readRoroYml(nested), undefined);
  assert.match(readRoroYml(withYml)?.text ?? '', /credit-risk/);
});

test.after(() => {
  for (const d of [withYml, empty]) fs.rmSync(d, { recursive: true, force: true });
});
