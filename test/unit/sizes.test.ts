import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RoroError, ValidationError } from '../../core/errors.js';
import { DEFAULT_SIZE, resolveSize, sizeNames, SIZES } from '../../core/sizes.js';

const GiB = 1024 ** 3;
const host = { cpus: 2, memoryBytes: 24 * GiB };

test('the sizes rorodata projects name all exist', () => {
  for (const name of ['S1', 'S2', 'S4', 'M1', 'M2', 'L1', 'Z64', 'C1', 'C16']) {
    assert.ok(sizeNames().includes(name), name);
  }
  for (const s of SIZES) assert.ok(s.cpus > 0 && s.memoryBytes > 0, s.name);
});

test('S1 is the default and names are case-insensitive', () => {
  assert.equal(DEFAULT_SIZE, 'S1');
  assert.equal(resolveSize(undefined, host).name, 'S1');
  assert.equal(resolveSize('', host).name, 'S1');
  assert.deepEqual(
    { cpus: resolveSize('s2', host).cpus, mem: resolveSize('s2', host).memoryBytes },
    { cpus: 1, mem: 2 * GiB },
  );
});

test('an unknown size lists the valid ones', () => {
  assert.throws(
    () => resolveSize('XL9', host),
    (err: unknown) => {
      assert.ok(err instanceof ValidationError);
      assert.match(err.message, /Unknown size "XL9"/);
      for (const n of sizeNames()) assert.ok(err.message.includes(n), n);
      return true;
    },
  );
});

test('sizes larger than the host fail and state its capacity', () => {
  for (const name of ['Z64', 'C16']) {
    assert.throws(
      () => resolveSize(name, host),
      (err: unknown) => {
        assert.ok(err instanceof RoroError);
        assert.equal(err.code, 'size_too_large');
        assert.match(err.message, /this host has 2 CPUs and 24 GiB/);
        assert.match(err.message, /S1/);
        return true;
      },
    );
  }
  assert.equal(resolveSize('M2', host).memoryBytes, 16 * GiB);
});
