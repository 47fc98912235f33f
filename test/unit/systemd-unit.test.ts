import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bootCommand, renderUnit, unitEnvironment } from '../../platform/systemd-unit.js';
import { ConfigError } from '../../core/errors.js';
import { parseUnit } from '../helpers/systemd-unit.js';

test('the unit carries the platform settings in force and never a password or token', () => {
  const environment = unitEnvironment(
    {
      RORO_HOME: '/ignored/home',
      RORO_PORT_BASE: '8400',
      RORO_LOG_MAX_BYTES: '1M',
      RORO_ADMIN_EMAIL: 'ops@example.com',
      RORO_ADMIN_PASSWORD: 'hunter2-secret',
      RORO_TOKEN: 'tok-123',
      RORO_URL: 'http://cli-only',
      TEMPORAL_ADDRESS: 'temporal.internal:7233',
      TEMPORAL_API_KEY: 'key-456',
      DOCKER_SOCKET: '/run/docker.sock',
      HOME: '/root',
      AWS_SECRET_ACCESS_KEY: 'aws',
    },
    '/srv/roro home',
    '/opt/node/bin/node',
  );
  assert.deepEqual(environment, {
    DOCKER_SOCKET: '/run/docker.sock',
    RORO_ADMIN_EMAIL: 'ops@example.com',
    RORO_HOME: '/srv/roro home',
    RORO_LOG_MAX_BYTES: '1M',
    RORO_PORT_BASE: '8400',
    TEMPORAL_ADDRESS: 'temporal.internal:7233',
    PATH: '/opt/node/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  });
  const text = renderUnit({ repo: '/opt/roro', home: '/srv/roro home', environment });
  assert.doesNotMatch(text, /hunter2|tok-123|key-456|PASSWORD|TOKEN/);
});

test('paths and values survive systemd quoting, and the unit is Type=forking on the supervisor pid file', () => {
  const environment = { RORO_HOME: '/srv/roro 100%', RORO_DOMAIN: 'a"b\\c$d', PATH: '/usr/bin' };
  const unit = parseUnit(renderUnit({ repo: '/opt/my $roro', home: '/srv/roro 100%', environment }));
  assert.deepEqual(unit.environment, environment);
  assert.deepEqual(unit.execStart, ['/opt/my $roro/bin/roro', 'server', 'up']);
  assert.deepEqual(unit.execStop, ['/opt/my $roro/bin/roro', 'server', 'down']);
  assert.equal(unit.pidFile, '/srv/roro 100%/run/supervisor.pid');
  assert.equal(unit.settings.get('Type'), 'forking');
  assert.equal(unit.settings.get('Restart'), 'on-failure');
  assert.equal(unit.settings.get('WantedBy'), 'multi-user.target');
  assert.match(unit.settings.get('After') ?? '', /docker\.service/);
});

test('a value on several lines is refused; the boot command line quotes for the shell', () => {
  assert.throws(
    () => renderUnit({ repo: '/opt/roro', home: '/h', environment: { RORO_DOMAIN: 'a\nb' } }),
    (err: unknown) => err instanceof ConfigError && /RORO_DOMAIN holds a control character/.test(err.message),
  );
  assert.equal(
    bootCommand({ repo: "/opt/it's", home: '/h', environment: { RORO_HOME: '/h', RORO_DOMAIN: 'a b' } }),
    `env RORO_HOME=/h 'RORO_DOMAIN=a b' '/opt/it'\\''s/bin/roro' server up`,
  );
});

test('a database URL with a password is refused from the unit, naming ~/.pgpass; without one it is carried', () => {
  const base = { RORO_HOME: '/srv/roro', HTTP_PROXY: 'http://user:pw@proxy:3128' };
  assert.throws(
    () =>
      unitEnvironment(
        { ...base, RORO_DATABASE_URL: 'postgres://roro:s3cret@db:5432/roro' },
        '/srv/roro',
        '/usr/bin/node',
      ),
    (err: ConfigError) =>
      /RORO_DATABASE_URL holds a password/.test(err.message) &&
      /~\/\.pgpass/.test(err.hint ?? '') &&
      !err.message.includes('s3cret'),
  );
  const environment = unitEnvironment(
    { ...base, RORO_DATABASE_URL: 'postgres://roro@db:5432/roro', PGPASSFILE: '/root/.pgpass' },
    '/srv/roro',
    '/usr/bin/node',
  );
  assert.equal(environment.RORO_DATABASE_URL, 'postgres://roro@db:5432/roro');
  assert.equal(environment.PGPASSFILE, '/root/.pgpass');
  assert.equal(environment.HTTP_PROXY, undefined);
});
