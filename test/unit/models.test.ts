import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkScopedPath } from '../../api/scoped-tokens.js';
import { checkNewVersion, checkTag } from '../../api/models.js';
import { parseModelSpec } from '../../cli/commands/models.js';

test('a scoped token reaches only its project models and jobs', () => {
  checkScopedPath('/v1/projects/credit/models/clf/versions?limit=5', 'credit');
  checkScopedPath('/v1/projects/credit/jobs/abc', 'credit');
  assert.throws(() => checkScopedPath('/v1/projects/other/models', 'credit'), { status: 404 });
  assert.throws(() => checkScopedPath('/v1/projects/credit/volumes', 'credit'), { status: 403 });
  assert.throws(() => checkScopedPath('/v1/projects/credit', 'credit'), { status: 403 });
  assert.throws(() => checkScopedPath('/v1/users', 'credit'), { status: 403 });
});

test('new versions carry string metadata without system keys', () => {
  const v = checkNewVersion({ metadata: { 'Test-Score': '0.8' }, contentEncoding: 'joblib', jobId: '' });
  assert.deepEqual(v, {
    comment: '',
    contentEncoding: 'joblib',
    metadata: { 'Test-Score': '0.8' },
    jobId: null,
  });
  assert.throws(() => checkNewVersion({ metadata: { 'Model-ID': 'x' } }), /set by the server/);
  assert.throws(() => checkNewVersion({ metadata: { score: 0.8 } }), /strings/);
  assert.throws(() => checkNewVersion({ contentEncoding: '../x' }), /Content-Encoding/);
  assert.throws(() => checkTag('latest'), /reserved/);
});

test('model specs name a repository and a version or tag', () => {
  assert.deepEqual(parseModelSpec('clf'), { repo: 'clf', ref: 'latest' });
  assert.deepEqual(parseModelSpec('clf:3'), { repo: 'clf', ref: '3' });
  assert.deepEqual(parseModelSpec('clf:prod'), { repo: 'clf', ref: 'prod' });
  assert.throws(() => parseModelSpec('clf:Bad!'), /neither a version/);
  assert.throws(() => parseModelSpec('Bad'), /Invalid model repository name/);
});
