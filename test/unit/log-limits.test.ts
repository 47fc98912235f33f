import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_LOG_LIMITS, parseLogLimits } from '../../core/log-limits.js';
import { ConfigError } from '../../core/errors.js';

test('log limits: defaults, bytes with K/M/G, and kept files', () => {
  assert.deepEqual(parseLogLimits({}), DEFAULT_LOG_LIMITS);
  assert.deepEqual(parseLogLimits({ RORO_LOG_MAX_BYTES: '', RORO_LOG_FILES: '' }), DEFAULT_LOG_LIMITS);
  assert.deepEqual(parseLogLimits({ RORO_LOG_MAX_BYTES: '262144', RORO_LOG_FILES: '2' }), {
    maxBytes: 262144,
    files: 2,
  });
  assert.equal(parseLogLimits({ RORO_LOG_MAX_BYTES: '10M' }).maxBytes, 10 * 1024 * 1024);
  assert.equal(parseLogLimits({ RORO_LOG_MAX_BYTES: '64k' }).maxBytes, 65536);
  assert.equal(parseLogLimits({ RORO_LOG_MAX_BYTES: '1G' }).maxBytes, 1024 ** 3);
});

test('a bad log limit names the variable and the fix', () => {
  for (const [name, value, message] of [
    ['RORO_LOG_MAX_BYTES', 'ten', /^RORO_LOG_MAX_BYTES=ten is not a log size of at least 4096 bytes\.$/],
    ['RORO_LOG_MAX_BYTES', '100', /^RORO_LOG_MAX_BYTES=100 is not a log size/],
    ['RORO_LOG_MAX_BYTES', '5 MB', /^RORO_LOG_MAX_BYTES=5 MB is not a log size/],
    ['RORO_LOG_FILES', '0', /^RORO_LOG_FILES=0 is not a number of kept log files\.$/],
    ['RORO_LOG_FILES', '2.5', /^RORO_LOG_FILES=2\.5 is not/],
    ['RORO_LOG_FILES', '1000', /^RORO_LOG_FILES=1000 is not/],
  ] as const) {
    assert.throws(
      () => parseLogLimits({ [name]: value }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.match(err.message, message);
        assert.match(err.hint ?? '', new RegExp(`^Set ${name} to `));
        return true;
      },
    );
  }
});
