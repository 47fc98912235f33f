import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api, newUser, testEnv, unique } from '../helpers/platform.js';
import { deployAndWait, projectCopy } from '../helpers/deploy.js';
import { connectTemporal } from '../../temporal/connection.js';
import { ensureSearchAttributes } from '../../temporal/ensure-search-attributes.js';

test("a project's deploys are listed by the search the Web UI uses", { timeout: 300_000 }, async () => {
  const env = testEnv();
  assert.deepEqual(await ensureSearchAttributes(env), [], 'already registered, nothing added');
  const user = await newUser();
  const project = unique('search');
  await api('POST', '/v1/projects', { token: user.token, body: { name: project } });
  const dep = await deployAndWait(user.token, project, projectCopy('hello', project));
  assert.equal(dep.final.kind, 'done');
  const { client, connection } = await connectTemporal(env);
  try {
    const attrs = await connection.operatorService.listSearchAttributes({ namespace: env.temporalNamespace });
    assert.ok('RoroProject' in (attrs.customAttributes ?? {}));
    assert.ok('RoroKind' in (attrs.customAttributes ?? {}));
    const found: string[] = [];
    // Visibility is eventually consistent: give the index a few seconds.
    for (let i = 0; i < 40 && found.length === 0; i++) {
      for await (const wf of client.workflow.list({
        query: `RoroProject = "${project}" AND RoroKind = "deploy"`,
      })) {
        found.push(wf.workflowId);
      }
      if (found.length === 0) await new Promise((r) => setTimeout(r, 250));
    }
    assert.deepEqual(found, [`deploy:${project}`]);
  } finally {
    await connection.close();
  }
  await api('DELETE', `/v1/projects/${project}`, { token: user.token });
});
