import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RoroError } from '../../core/errors.js';
import { clientErrorOf } from '../../api/client-errors.js';
import { intBody, intQuery, nulPath } from '../../api/input.js';
import { validate } from '../../api/refusal.js';
import { normalizeVolumePath } from '../../api/volumes.js';

const uriError = () => Object.assign(new URIError("Failed to decode param '%ff'"), { status: 400 });

test('errors from below the routes become 4xx with a code naming what to fix', () => {
  const table: [string, unknown, number, string, RegExp][] = [
    ['bad JSON', { type: 'entity.parse.failed', status: 400 }, 400, 'bad_json', /JSON/],
    [
      'too large',
      { type: 'entity.too.large', status: 413, limit: 16384 },
      413,
      'too_large',
      /at most 16384 bytes/,
    ],
    [
      'charset',
      { type: 'charset.unsupported', status: 415, charset: 'latin1' },
      415,
      'unsupported_charset',
      /charset "latin1"/,
    ],
    [
      'encoding',
      { type: 'encoding.unsupported', status: 415 },
      415,
      'unsupported_encoding',
      /Content-Encoding/,
    ],
    ['percent-encoding', uriError(), 400, 'bad_url', /percent-encoding.*%ff/],
    [
      'aborted body',
      { type: 'request.aborted', status: 400, expose: true, message: 'request aborted' },
      400,
      'bad_body',
      /aborted/,
    ],
    ['NUL in text', { code: '22021' }, 400, 'bad_string', /NUL/],
    ['number out of range', { code: '22003' }, 400, 'out_of_range', /out of range/],
  ];
  for (const [what, err, status, code, message] of table) {
    const out = clientErrorOf(err);
    assert.ok(out instanceof RoroError, what);
    assert.equal(out.status, status, what);
    assert.equal(out.code, code, what);
    assert.match(out.message, message, what);
    assert.ok(out.hint, what);
  }
});

test('errors of the platform itself stay 500', () => {
  for (const err of [
    new Error('boom'),
    new URIError('no status'),
    { status: 500, expose: false },
    { code: '42P01' },
    null,
  ])
    assert.equal(clientErrorOf(err), undefined);
});

test('intBody and intQuery take whole numbers in range and name the field otherwise', () => {
  assert.equal(validate('body.version', intBody({ min: 1 }), 7), 7);
  assert.equal(validate('query.after', intQuery({ fallback: 0 }), '42'), 42);
  assert.equal(validate('query.after', intQuery({ fallback: 0 }), undefined), 0);
  assert.equal(validate('query.limit', intQuery({ fallback: 100 }), ''), 100);
  const bad: [unknown, string][] = [
    [true, 'body.version'],
    [1e308, 'body.version'],
    [1.5, 'body.version'],
    [0, 'body.version'],
    ['7', 'body.version'],
    ['1e20', 'query.after'],
    ['99999999999', 'query.after'],
    ['-1', 'query.after'],
    ['abc', 'query.limit'],
    [null, 'body.version'],
    [undefined, 'body.version'],
  ];
  for (const [value, field] of bad) {
    const schema = field === 'body.version' ? intBody({ min: 1 }) : intQuery({ fallback: 0 });
    assert.throws(
      () => validate(field, schema, value),
      (e: RoroError) => e.status === 400 && e.message.startsWith(field),
      `${field}=${String(value)}`,
    );
  }
});

test('nulPath finds the first string or key with a NUL byte', () => {
  assert.equal(nulPath({ email: 'a@b', password: 'x' }, 'body'), undefined);
  assert.equal(nulPath({ email: 'a\u0000b' }, 'body'), 'body.email');
  assert.equal(nulPath({ command: ['python', 'x\u0000'] }, 'body'), 'body.command[1]');
  assert.equal(nulPath({ 'k\u0000': 1 }, 'body'), 'body (a key)');
  assert.equal(nulPath('x\u0000', 'query.path'), 'query.path');
});

test('a volume path longer than the limit is refused naming the limit', () => {
  const long = Array.from({ length: 20 }, () => 'd'.repeat(250)).join('/');
  assert.throws(() => normalizeVolumePath('data', long), /longer than 3072 bytes/);
  assert.equal(normalizeVolumePath('data', 'a/b'), 'a/b');
});
