import { test } from 'node:test';
import assert from 'node:assert/strict';
import { projectContainerSpec, type ProjectContainerRequest } from '../../domain/project-container.js';
import { projectNetwork } from '../../domain/project-network.js';
import { dockerCreateOptions } from '../../containers/local-create-options.js';

const request: ProjectContainerRequest = {
  kind: 'job',
  project: { id: '7', name: 'credit-risk' },
  name: 'roro-credit-risk-job-j1',
  image: 'roro/credit-risk:abc',
  cmd: ['python', 'train.py'],
  workdir: '/app',
  limits: { cpus: 0.5, memoryBytes: 1 << 30 },
  labels: { 'roro.job': 'j1' },
  env: { GREETING: 'from roro.yml', LEVEL: 'yml' },
  platformEnv: { RORO_PROJECT: 'credit-risk', RORO_JOB_ID: 'j1' },
};
const parts = {
  configEnv: { LEVEL: 'config', DATABASE_URL: 'postgres://x' },
  volumes: [{ source: '/srv/roro/volumes/7/data', target: '/volumes/data' }],
  access: {
    env: {
      RORO_API_SOCKET: '/run/roro/api.sock',
      RORO_API_TOKEN: 'secret',
      RORO_PROJECT: 'credit-risk',
    },
    mounts: [{ source: '/srv/roro/run/api', target: '/run/roro', readOnly: true }],
    labels: { 'roro.token': 'l1' },
  },
  network: projectNetwork('/srv/roro', { id: '7', name: 'credit-risk' }),
};

test('a project container: roro.yml env < config vars < the platform, labels of kind and project', () => {
  const spec = projectContainerSpec(request, parts);
  assert.deepEqual(spec.env, {
    GREETING: 'from roro.yml',
    LEVEL: 'config',
    DATABASE_URL: 'postgres://x',
    RORO_PROJECT: 'credit-risk',
    RORO_JOB_ID: 'j1',
    RORO_API_SOCKET: '/run/roro/api.sock',
    RORO_API_TOKEN: 'secret',
  });
  assert.deepEqual(spec.labels, {
    'roro.managed': 'true',
    'roro.kind': 'job',
    'roro.project': 'credit-risk',
    'roro.job': 'j1',
    'roro.token': 'l1',
  });
  assert.deepEqual(spec.mounts, [...parts.volumes, ...parts.access.mounts]);
  assert.equal(spec.network, parts.network);
  assert.deepEqual(spec.limits, request.limits);
  assert.equal(spec.port, undefined);
});

test('a config var cannot replace what the platform sets', () => {
  const spec = projectContainerSpec(request, {
    ...parts,
    configEnv: { RORO_JOB_ID: 'forged', RORO_API_TOKEN: 'forged' },
  });
  assert.equal(spec.env?.RORO_JOB_ID, 'j1');
  assert.equal(spec.env?.RORO_API_TOKEN, 'secret');
});

test('the local driver locks every container down and publishes its port on loopback only', () => {
  const spec = projectContainerSpec(
    { ...request, kind: 'service', port: 8080, restart: 'unless-stopped' },
    parts,
  );
  const opts = dockerCreateOptions(spec, 41234);
  assert.equal(opts.User, '1000:1000');
  assert.deepEqual(opts.ExposedPorts, { '8080/tcp': {} });
  assert.deepEqual(opts.HostConfig?.PortBindings, {
    '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '41234' }],
  });
  assert.equal(opts.Labels?.['roro.host-port'], '41234');
  assert.equal(opts.HostConfig?.Privileged, false);
  assert.deepEqual(opts.HostConfig?.CapDrop, ['ALL']);
  assert.equal(opts.HostConfig?.Memory, opts.HostConfig?.MemorySwap);
  assert.equal(opts.HostConfig?.NetworkMode, parts.network.name);
  assert.deepEqual(opts.HostConfig?.RestartPolicy, { Name: 'unless-stopped' });
  assert.ok(opts.Env?.includes('RORO_API_TOKEN=secret'));
  const job = dockerCreateOptions(projectContainerSpec(request, parts), undefined);
  assert.equal(job.ExposedPorts, undefined);
  assert.equal(job.HostConfig?.PortBindings, undefined);
  assert.deepEqual(job.HostConfig?.RestartPolicy, { Name: 'no' });
});
