import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ValidationError } from '../../core/errors.js';
import { resolveRuntime, runtimeChain } from '../../core/runtimes.js';

test('python3 is the default runtime', () => {
  for (const v of [undefined, null, '']) {
    const r = resolveRuntime(v);
    assert.equal(r.runtime.name, 'python3');
    assert.equal(r.version, undefined);
  }
});

test('rorodata/sandbox is an alias of python3', () => {
  assert.equal(resolveRuntime('rorodata/sandbox').runtime.name, 'python3');
  assert.equal(resolveRuntime('rorodata/sandbox:latest').version, 'latest');
});

test('versioned names resolve to their runtime and keep the version', () => {
  const keras = resolveRuntime('python3-keras:2018.03');
  assert.equal(keras.runtime.name, 'python3-keras');
  assert.equal(keras.version, '2018.03');
  assert.equal(keras.requested, 'python3-keras:2018.03');
  assert.equal(resolveRuntime('python3:2018.03').runtime.name, 'python3');
  assert.equal(resolveRuntime('python3-keras').runtime.name, 'python3-keras');
});

test('unknown runtimes fail and list the known ones', () => {
  for (const bad of ['python2', 'r-lang:1', 'python3:', 42]) {
    assert.throws(
      () => resolveRuntime(bad),
      (err: unknown) => {
        assert.ok(err instanceof ValidationError);
        assert.match(err.message, /Unknown runtime/);
        assert.match(err.message, /python3, python3-keras, rorodata\/sandbox/);
        return true;
      },
    );
  }
});

test('runtimeChain lists parents first', () => {
  assert.deepEqual(
    runtimeChain('python3-keras').map((r) => r.name),
    ['python3', 'python3-keras'],
  );
  assert.deepEqual(
    runtimeChain('python3').map((r) => r.name),
    ['python3'],
  );
});
