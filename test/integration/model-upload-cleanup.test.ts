import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { homePaths } from '../../core/config.js';
import { api, apiUrl, newUser, testEnv, unique } from '../helpers/platform.js';

/** Every file under the project's model directory, hidden ones included. */
function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => e.name);
}

test('failed model uploads leave nothing on disk', { timeout: 60_000 }, async () => {
  const user = await newUser();
  const name = unique('blobs');
  assert.equal((await api('POST', '/v1/projects', { token: user.token, body: { name } })).status, 201);
  const projectId = String((await api('GET', `/v1/projects/${name}`, { token: user.token })).body.project.id);
  const body = Buffer.alloc(4 * 1024 * 1024, 7);
  const upload = (headers: Record<string, string>) =>
    fetch(`${apiUrl()}/v1/projects/${name}/models/churn/versions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${user.token}`,
        'content-type': 'application/octet-stream',
        ...headers,
      },
      body,
    });

  // Metadata the server refuses: a key it sets itself.
  const meta = encodeURIComponent(JSON.stringify({ metadata: { 'Model-ID': 'mine' } }));
  const refused = await upload({ 'x-roro-model': meta });
  assert.equal(refused.status, 400);
  assert.match(
    ((await refused.json()) as { error: { message: string } }).error.message,
    /Model-ID is set by the server/,
  );

  // A body damaged on the way: its checksum does not match.
  const damaged = await upload({ 'x-roro-sha256': '0'.repeat(64) });
  assert.equal(damaged.status, 400);

  const dir = path.join(homePaths(testEnv().home).models, projectId);
  assert.deepEqual(filesUnder(dir), [], 'no staged upload left behind');
  const versions = await api('GET', `/v1/projects/${name}/models/churn/versions`, { token: user.token });
  assert.deepEqual(versions.body.versions ?? [], []);
  await api('DELETE', `/v1/projects/${name}`, { token: user.token });
});
