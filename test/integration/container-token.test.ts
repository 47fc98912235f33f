import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api, newUser, unique } from '../helpers/platform.js';
import { removeProjectContainers, testDocker } from '../helpers/docker.js';
import { deployAndWait, projectCopy } from '../helpers/deploy.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("a container's token dies with that container, whatever else carries its label", async (t) => {
  const docker = testDocker();
  const user = await newUser();
  const project = unique('tok');
  assert.equal(
    (await api('POST', '/v1/projects', { token: user.token, body: { name: project } })).status,
    201,
  );
  const decoys: string[] = [];
  t.after(async () => {
    for (const id of decoys)
      await docker
        .getContainer(id)
        .remove({ force: true })
        .catch(() => undefined);
    await removeProjectContainers(project);
    await api('DELETE', `/v1/projects/${project}`, { token: user.token });
  });
  const deployed = await deployAndWait(user.token, project, projectCopy('hello', project));
  assert.equal(deployed.final.kind, 'done', JSON.stringify(deployed.events.slice(-5)));

  const started = await api('POST', `/v1/projects/${project}/jobs`, {
    token: user.token,
    body: { command: ['sleep', '300'] },
  });
  assert.equal(started.status, 202, JSON.stringify(started.body));
  const jobId = started.body.job.id as string;
  let container: { Id: string; Image: string; Labels: Record<string, string> } | undefined;
  for (let i = 0; i < 120 && !container; i++) {
    [container] = await docker.listContainers({
      filters: { label: [`roro.job=${jobId}`], status: ['running'] },
    });
    if (!container) await sleep(250);
  }
  assert.ok(container, 'the job runs');
  const env = (await docker.getContainer(container.Id).inspect()).Config.Env;
  const token = env.find((e) => e.startsWith('RORO_API_TOKEN='))!.slice('RORO_API_TOKEN='.length);
  const label = container.Labels['roro.api-token'];
  assert.ok(token && label);
  const models = () => api('GET', `/v1/projects/${project}/models`, { token });

  await t.test('the token works while its container runs', async () => {
    const res = await models();
    assert.equal(res.status, 200, JSON.stringify(res.body));
  });

  await t.test(
    'once the container is gone, a look-alike container does not keep the token alive',
    async () => {
      const decoy = await docker.createContainer({
        Image: container!.Image,
        Cmd: ['sleep', '120'],
        Labels: { 'roro.api-token': label!, 'roro.test': 'token-decoy' },
        HostConfig: { NetworkMode: 'none' },
      });
      decoys.push(decoy.id);
      await decoy.start();
      const stop = await api('POST', `/v1/projects/${project}/jobs/${jobId}/stop`, { token: user.token });
      assert.ok(stop.status < 300, JSON.stringify(stop.body));
      let gone = false;
      for (let i = 0; i < 240 && !gone; i++) {
        gone = !(await docker.listContainers({ all: true, filters: { label: [`roro.job=${jobId}`] } }))
          .length;
        if (!gone) await sleep(250);
      }
      assert.ok(gone, "the job's container is removed");
      // A token seen alive is trusted for a few seconds without asking Docker again.
      let res = await models();
      for (let i = 0; i < 60 && res.status === 200; i++) {
        await sleep(250);
        res = await models();
      }
      assert.equal(res.status, 401, JSON.stringify(res.body));
      assert.match(res.body.error.message, /no longer valid/);
      assert.equal(
        (await docker.getContainer(decoy.id).inspect()).State.Running,
        true,
        'the decoy still runs',
      );
      assert.equal((await models()).status, 401, 'revoked for good');
    },
  );
});
