import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildFailed } from '../../containers/build.js';

test('a layer the engine lost during a build is the engine’s failure, tried again; a failing step is the project’s', () => {
  const lost = buildFailed(
    'project image roro/app-x:1',
    {
      error: 'unable to find image "sha256:0f703f66dbee499a9ff8c9ed6054b2a72e5c50812f237cf5c1ab6cd0c0cc9cb4"',
    },
    ['Step 5/9 : COPY --chown=roro:roro app/ /app/'],
  );
  assert.equal(lost.code, 'build_interrupted');
  assert.equal(lost.status, 503);
  const pip = buildFailed(
    'project image roro/app-x:1',
    { error: "The command '/bin/sh -c pip install' returned a non-zero code: 1" },
    ['ERROR: No matching distribution found for nosuchpackage'],
  );
  assert.equal(pip.code, 'build_failed');
  assert.equal(pip.status, 422);
  assert.match(pip.message, /No matching distribution/);
});
