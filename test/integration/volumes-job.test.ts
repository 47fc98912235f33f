import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { api, newUser, unique } from '../helpers/platform.js';
import { deployAndWait, gatewayRequest, projectCopy } from '../helpers/deploy.js';

test(
  'a job writes to /volumes/data and a service reads it after a redeploy',
  { timeout: 300_000 },
  async () => {
    const user = await newUser();
    const project = unique('voljob');
    await api('POST', '/v1/projects', { token: user.token, body: { name: project } });
    const first = await deployAndWait(user.token, project, projectCopy('volume-reader', project));
    assert.equal(first.final.kind, 'done', JSON.stringify(first.events.slice(-3)));

    const script = "open('/volumes/data/from-job.txt', 'w').write('trained by a job')";
    const started = await api('POST', `/v1/projects/${project}/jobs`, {
      token: user.token,
      body: { command: ['python3', '-c', script] },
    });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    let job = started.body.job;
    for (let i = 0; i < 120 && job.status === 'running'; i++) {
      await new Promise((r) => setTimeout(r, 500));
      job = (await api('GET', `/v1/projects/${project}/jobs/${job.id}`, { token: user.token })).body.job;
    }
    assert.equal(job.status, 'success', JSON.stringify(job));

    const redeploy = await deployAndWait(
      user.token,
      project,
      projectCopy('volume-reader', project, (d) => fs.appendFileSync(path.join(d, 'server.py'), '\n# v2\n')),
    );
    assert.equal(redeploy.final.kind, 'done');
    assert.equal(redeploy.final.data.version, 2);
    const read = await gatewayRequest(`/${project}/read?path=from-job.txt`);
    assert.equal(read.status, 200, JSON.stringify(read.body));
    assert.equal(read.body.content, 'trained by a job');
    await api('DELETE', `/v1/projects/${project}`, { token: user.token });
  },
);
