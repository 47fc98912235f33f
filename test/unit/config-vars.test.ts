import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkConfigName, checkConfigValue, isReserved, parseAssignment } from '../../domain/config-vars.js';
import { configKeyPath, masterKey, open, seal } from '../../domain/secrets-box.js';
import { ValidationError } from '../../core/errors.js';

test('config var names follow [A-Z_][A-Z0-9_]* and PORT / RORO_* are reserved', () => {
  for (const ok of ['A', '_X', 'DATABASE_URL', 'K2']) assert.equal(checkConfigName(ok), ok);
  for (const bad of ['', 'a', '2X', 'MY-VAR', 'MY VAR', 'X=Y', 'é']) {
    assert.throws(
      () => checkConfigName(bad),
      (e: Error) => e instanceof ValidationError && /\[A-Z_\]\[A-Z0-9_\]\*/.test(e.message),
    );
  }
  for (const reserved of ['PORT', 'RORO_PROJECT', 'RORO_']) {
    assert.ok(isReserved(reserved));
    assert.throws(() => checkConfigName(reserved), /reserved/);
  }
  assert.equal(isReserved('PORTS'), false);
});

test('NAME=VALUE splits at the first =, and values are never quoted in errors', () => {
  assert.deepEqual(parseAssignment('URL=postgres://x?a=b'), ['URL', 'postgres://x?a=b']);
  assert.deepEqual(parseAssignment('EMPTY='), ['EMPTY', '']);
  assert.throws(() => parseAssignment('=x'), /not NAME=VALUE/);
  assert.throws(() => parseAssignment('NOVALUE'), /not NAME=VALUE/);
  assert.throws(
    () => checkConfigValue('K', 'secret\0value'),
    (e: Error) => !e.message.includes('secret'),
  );
  assert.throws(() => checkConfigValue('K', 'x'.repeat(40 * 1024)), /longer than/);
});

test('seal/open round-trips; tampering, another key or another name fails', () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'roro-key-'));
  const key = masterKey(home);
  assert.equal(key.length, 32);
  assert.equal(fs.statSync(configKeyPath(home)).mode & 0o777, 0o600);
  const sealed = seal(key, 'hunter2 ✓', 'roro-config:1:PASSWORD');
  assert.ok(!sealed.includes('hunter2'));
  assert.notEqual(sealed, seal(key, 'hunter2 ✓', 'roro-config:1:PASSWORD'), 'a fresh IV each time');
  assert.equal(open(key, sealed, 'roro-config:1:PASSWORD'), 'hunter2 ✓');
  assert.throws(() => open(key, sealed, 'roro-config:2:PASSWORD'), /does not decrypt/);
  const raw = Buffer.from(sealed.slice(3), 'base64');
  raw[raw.length - 1]! ^= 1;
  assert.throws(
    () => open(key, `v1:${raw.toString('base64')}`, 'roro-config:1:PASSWORD'),
    /does not decrypt/,
  );
  const other = masterKey(fs.mkdtempSync(path.join(os.tmpdir(), 'roro-key-')));
  assert.throws(() => open(other, sealed, 'roro-config:1:PASSWORD'), /does not decrypt/);
  fs.rmSync(home, { recursive: true, force: true });
});

test('the master key is created once and then read back', () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'roro-key-'));
  const first = fs.readFileSync((masterKey(home), configKeyPath(home)), 'utf8');
  assert.equal(fs.readFileSync(configKeyPath(home), 'utf8'), first);
  assert.deepEqual(fs.readdirSync(path.dirname(configKeyPath(home))), ['config-key'], 'no temp file left');
  fs.rmSync(home, { recursive: true, force: true });
});
