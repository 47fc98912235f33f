import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { RoroError } from '../../core/errors.js';
import { ensureSwarm, listClusterNodes, workerJoinCommand } from '../../containers/swarm-cluster.js';

test('an engine that does not answer: 503 naming the socket and how to point roro at a running engine', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roro-no-engine-'));
  const socket = path.join(dir, 'docker.sock');
  const docker = new Docker({ socketPath: socket });
  try {
    for (const call of [
      () => listClusterNodes(docker, socket),
      () => workerJoinCommand(docker, socket),
      () => ensureSwarm(docker, socket, undefined),
    ]) {
      await assert.rejects(call, (err: RoroError) => {
        assert.equal(err.status, 503);
        assert.equal(err.code, 'unavailable');
        assert.match(err.message, new RegExp(`^The Docker engine at unix://${socket} is not reachable: `));
        assert.match(err.hint ?? '', /DOCKER_HOST\/DOCKER_SOCKET/);
        return true;
      });
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
