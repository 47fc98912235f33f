import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api, newUser, unique } from '../helpers/platform.js';
import { deployAndWait, projectCopy } from '../helpers/deploy.js';
import { secondPlatform } from '../helpers/second-platform.js';
import { testDocker } from '../helpers/docker.js';
import { platformTag } from '../../domain/project-network.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('roro server down removes the platform’s canary container', { timeout: 600_000 }, async (t) => {
  const docker = testDocker();
  // The canary runs from the base image the first deploy builds: make sure it exists.
  if (!(await docker.listImages({ filters: { reference: ['roro/base:bookworm'] } })).length) {
    const user = await newUser();
    const project = unique('canarybase');
    await api('POST', '/v1/projects', { token: user.token, body: { name: project } });
    const v1 = await deployAndWait(user.token, project, projectCopy('hello', project));
    assert.equal(v1.final.kind, 'done', JSON.stringify(v1.events.slice(-3)));
  }
  const second = await secondPlatform(60);
  t.after(() => second.remove());
  const canaries = () =>
    docker.listContainers({
      all: true,
      filters: { label: ['roro.kind=canary', `roro.platform=${platformTag(second.home)}`] },
    });

  const up = await second.cli(['server', 'up']);
  assert.equal(up.code, 0, up.stderr);
  for (let i = 0; i < 120 && !(await canaries()).some((c) => c.State === 'running'); i++) await sleep(250);
  assert.equal((await canaries()).length, 1, 'the healer runs the canary while the platform is up');

  const down = await second.cli(['server', 'down']);
  assert.equal(down.code, 0, down.stderr);
  assert.deepEqual(
    (await canaries()).map((c) => c.Names.join(',')),
    [],
    'no canary container is left after down',
  );
});
