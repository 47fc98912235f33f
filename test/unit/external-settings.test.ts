import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parsePlatformEnv } from '../../core/config.js';
import { rememberCluster } from '../../core/cluster-setting.js';
import { databaseHostPort, databaseLabel, databaseUrl } from '../../db/pool.js';

const env = (extra: NodeJS.ProcessEnv) => parsePlatformEnv({ RORO_HOME: '/srv/roro', ...extra });

test('RORO_DATABASE_URL: used as given, shown without its password, its host and port probed', () => {
  const e = env({ RORO_DATABASE_URL: 'postgres://roro:s%40cret@db.internal:6543/platform' });
  assert.equal(databaseUrl(e), 'postgres://roro:s%40cret@db.internal:6543/platform');
  assert.equal(databaseLabel(e), 'postgres://roro@db.internal:6543/platform');
  assert.deepEqual(databaseHostPort(e), { host: 'db.internal', port: 6543 });
  assert.deepEqual(databaseHostPort(env({ RORO_DATABASE_URL: 'postgresql://u:p@[::1]/x' })), {
    host: '::1',
    port: 5432,
  });
});

test('without RORO_DATABASE_URL the embedded cluster is the database', () => {
  const e = env({ RORO_PORT_BASE: '9000' });
  assert.equal(e.externalDatabaseUrl, undefined);
  assert.equal(databaseLabel(e), 'postgres://127.0.0.1:9032/roro');
  assert.deepEqual(databaseHostPort(e), { host: '127.0.0.1', port: 9032 });
});

test('a malformed RORO_DATABASE_URL or TEMPORAL_ADDRESS is refused with the form to use', () => {
  for (const bad of ['db.internal:5432', 'mysql://u:p@h/db', 'postgres://u:p@h', 'postgres://u:p@h/']) {
    assert.throws(
      () => env({ RORO_DATABASE_URL: bad }),
      /RORO_DATABASE_URL is not a PostgreSQL URL: set it to postgres:\/\/USER:PASSWORD@HOST:PORT\/DATABASE\./,
    );
  }
  for (const bad of ['http://temporal:7233', 'temporal', 'temporal:0', 'temporal:99999']) {
    assert.throws(
      () => env({ TEMPORAL_ADDRESS: bad }),
      /TEMPORAL_ADDRESS=.* is not host:port: set it to the Temporal frontend's address/,
    );
  }
  const ok = env({ TEMPORAL_ADDRESS: 'temporal.internal:7233' });
  assert.equal(ok.temporalAddress, 'temporal.internal:7233');
  assert.equal(ok.temporalExternal, true);
});

test('DOCKER_HOST names the engine when it is a Unix socket; DOCKER_SOCKET wins; tcp:// is refused', () => {
  assert.equal(env({}).dockerSocket, '/var/run/docker.sock');
  assert.equal(
    env({ DOCKER_HOST: 'unix:///srv/engine/docker.sock' }).dockerSocket,
    '/srv/engine/docker.sock',
  );
  assert.equal(env({ DOCKER_HOST: 'unix:///a.sock', DOCKER_SOCKET: '/b.sock' }).dockerSocket, '/b.sock');
  assert.throws(
    () => env({ DOCKER_HOST: 'tcp://10.0.0.2:2375' }),
    /DOCKER_HOST=tcp:\/\/10\.0\.0\.2:2375 is not a Unix socket: .*set DOCKER_HOST=unix:\/\//,
  );
});

test('cluster mode: RORO_CLUSTER, else what RORO_HOME remembers', () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'roro-cluster-setting-'));
  try {
    assert.equal(env({ RORO_HOME: home }).cluster, false);
    assert.equal(env({ RORO_HOME: home, RORO_CLUSTER: '1' }).cluster, true);
    rememberCluster(home);
    assert.equal(env({ RORO_HOME: home }).cluster, true);
    assert.equal(env({ RORO_HOME: home, RORO_CLUSTER: '0' }).cluster, false);
    assert.throws(
      () => env({ RORO_HOME: home, RORO_CLUSTER: 'yes' }),
      /RORO_CLUSTER=yes is not an on\/off setting/,
    );
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
});
