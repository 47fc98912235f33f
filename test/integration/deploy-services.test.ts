import { test } from 'node:test';
import assert from 'node:assert/strict';
import Docker from 'dockerode';
import { api, newUser, unique } from '../helpers/platform.js';
import { deployAndWait, gatewayRequest, projectCopy } from '../helpers/deploy.js';

const docker = new Docker({ socketPath: '/var/run/docker.sock' });

test(
  'a function and a command service deploy side by side, each behind its own route',
  { timeout: 300_000 },
  async () => {
    const user = await newUser();
    const project = unique('multi');
    await api('POST', '/v1/projects', { token: user.token, body: { name: project } });
    const dep = await deployAndWait(user.token, project, projectCopy('multi', project));
    assert.equal(dep.final.kind, 'done', JSON.stringify(dep.events.slice(-5)));
    assert.deepEqual(Object.keys(dep.final.data.urls).sort(), ['default', 'web']);
    assert.match(dep.final.data.urls.web, new RegExp(`/${project}--web/$`));

    const page = await gatewayRequest(`/${project}--web/index.html`);
    assert.equal(page.status, 200);
    assert.match(String(page.body), /static site of a command service/);
    const byHost = await gatewayRequest('/index.html', { host: `${project}--web.localhost` });
    assert.equal(byHost.status, 200);

    const fn = await gatewayRequest(`/${project}/hello`, { body: { name: 'cors' } });
    assert.equal(fn.status, 200);
    assert.equal(fn.headers['access-control-allow-origin'], '*');

    // The command service got $PORT, its directory as working dir, and the S2 size's limits.
    const [web] = await docker.listContainers({
      filters: { label: [`roro.project=${project}`, 'roro.service=web'] },
    });
    const info = await docker.getContainer(web!.Id).inspect();
    assert.ok(info.Config.Env.includes('PORT=8080'));
    assert.equal(info.Config.WorkingDir, '/app/site');
    assert.equal(info.HostConfig.NanoCpus, 1e9);
    assert.equal(info.HostConfig.Memory, 2 * 1024 ** 3);
    assert.equal(info.HostConfig.Privileged, false);
    assert.equal(info.Config.User, '1000:1000');
    assert.ok(!(info.HostConfig.Binds ?? []).some((b: string) => b.includes('docker.sock')));
    for (const [, bindings] of Object.entries(info.HostConfig.PortBindings ?? {})) {
      for (const b of bindings as { HostIp: string }[]) assert.equal(b.HostIp, '127.0.0.1');
    }
    const mounts = info.Mounts.map((m: { Destination: string }) => m.Destination).sort();
    assert.deepEqual(mounts, ['/run/roro', '/volumes/data', '/volumes/notebooks']);
    await api('DELETE', `/v1/projects/${project}`, { token: user.token });
  },
);
