import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api, newUser, unique } from '../helpers/platform.js';
import { deployAndWait, gatewayRequest, projectCopy } from '../helpers/deploy.js';
import { testDocker } from '../helpers/docker.js';
import { HOST_PORT_LABEL, HOST_PORT_MAX, HOST_PORT_MIN } from '../../containers/host-ports.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function publishedPort(id: string): Promise<number | undefined> {
  const info = await testDocker().getContainer(id).inspect();
  const binding = Object.values(info.NetworkSettings.Ports ?? {}).find(
    (b) => Array.isArray(b) && b.length > 0,
  );
  return binding ? Number(binding[0]!.HostPort) : undefined;
}

// A port Docker picks is picked again at each start: after an engine restart containers came back on
// each other's old ports, and a route written before it sent project A's requests to project B's
// container (seen as "hello <A's request>" answered by B after `roro server restore`).
test('a service container keeps its host port when it starts again, so a route never reaches another container', async () => {
  const user = await newUser();
  const project = unique('ports');
  assert.equal(
    (await api('POST', '/v1/projects', { token: user.token, body: { name: project } })).status,
    201,
  );
  const dep = await deployAndWait(user.token, project, projectCopy('hello', project));
  assert.equal(dep.final.kind, 'done', JSON.stringify(dep.events.slice(-3)));

  const docker = testDocker();
  const [c] = await docker.listContainers({
    filters: { label: [`roro.project=${project}`, 'roro.kind=service'] },
  });
  assert.ok(c, 'the service runs');
  const before = await publishedPort(c.Id);
  assert.ok(
    before !== undefined && before >= HOST_PORT_MIN && before <= HOST_PORT_MAX,
    `port ${before} in roro's range`,
  );
  assert.equal(c.Labels[HOST_PORT_LABEL], String(before), 'the chosen port is recorded on the container');

  // Another container started while this one is down must not be given its port.
  await docker.getContainer(c.Id).restart({ t: 0 });
  assert.equal(await publishedPort(c.Id), before, 'the same port after a restart');

  let status: number | undefined;
  for (let i = 0; i < 60 && status !== 200; i++) {
    status = (await gatewayRequest(`/${project}/hello`, { body: { name: 'ports' } }).catch(() => undefined))
      ?.status;
    if (status !== 200) await sleep(250);
  }
  assert.equal(status, 200, 'the route still reaches the service');
});
