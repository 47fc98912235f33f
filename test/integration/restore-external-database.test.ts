import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { homePaths } from '../../core/config.js';
import { databaseUrl } from '../../db/pool.js';
import { platformTag } from '../../domain/project-network.js';
import { api, login, testEnv, unique } from '../helpers/platform.js';
import { secondPlatform } from '../helpers/second-platform.js';
import { testDocker } from '../helpers/docker.js';

/** The projects a database holds, read with SQL: what a restore put there, whatever answers HTTP. */
async function projectsIn(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<{ name: string }>('SELECT name FROM projects ORDER BY name')).rows.map(
      (r) => r.name,
    );
  } finally {
    await client.end();
  }
}

test(
  'restore with RORO_DATABASE_URL loads into that database, and refuses one that is not empty',
  { timeout: 900_000 },
  async (t) => {
    const second = await secondPlatform(70);
    t.after(() => second.remove());
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'roro-restore-ext-'));
    t.after(() => fs.rmSync(scratch, { recursive: true, force: true }));
    const up = await second.cli(['server', 'up']);
    assert.equal(up.code, 0, up.stderr);
    const email = process.env.RORO_ADMIN_EMAIL || 'admin@roro.local';
    const password =
      process.env.RORO_ADMIN_PASSWORD ||
      fs.readFileSync(path.join(homePaths(second.home).secrets, 'admin-password'), 'utf8').trim();
    const baseUrl = second.env.apiUrl;
    const token = await login(email, password, baseUrl);
    const project = unique('restored');
    const created = await api('POST', '/v1/projects', { token, body: { name: project }, baseUrl });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const file = path.join(scratch, 'backup.tar.gz');
    const backup = await second.cli(['server', 'backup', file]);
    assert.equal(backup.code, 0, backup.stderr);
    const down = await second.cli(['server', 'down']);
    assert.equal(down.code, 0, down.stderr);

    // The configured database still holds the platform: nothing is loaded, and it keeps its rows.
    const refused = await second.cli(['server', 'restore', file, '--force']);
    assert.notEqual(refused.code, 0, refused.stdout);
    assert.match(refused.stderr, /The database at RORO_DATABASE_URL \(.+\) is not empty/);
    assert.match(refused.stderr, /Point RORO_DATABASE_URL at a new, empty database/);
    assert.ok(!refused.stderr.includes(decodeURIComponent(second.database.password)), 'no password printed');
    assert.deepEqual(await projectsIn(second.database.toString()), [project]);

    // A new, empty database on another machine's home: the backup lands in it.
    const admin = new pg.Client({ connectionString: databaseUrl(testEnv()) });
    await admin.connect();
    const fresh = unique('roro_restored').replace('-', '_');
    await admin.query(`CREATE DATABASE ${fresh}`);
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'roro-restored-'));
    const target = new URL(second.database.toString());
    target.pathname = `/${fresh}`;
    const there = { RORO_HOME: home, RORO_DATABASE_URL: target.toString() };
    t.after(async () => {
      await second.cli(['server', 'down'], there);
      const docker = testDocker();
      const mine = { all: true, filters: { label: [`roro.platform=${platformTag(home)}`] } };
      for (const c of await docker.listContainers(mine))
        await docker.getContainer(c.Id).remove({ force: true });
      await admin.query(`DROP DATABASE IF EXISTS ${fresh} WITH (FORCE)`);
      await admin.end();
      fs.rmSync(home, { recursive: true, force: true });
    });
    const restored = await second.cli(['server', 'restore', file], there);
    assert.equal(restored.code, 0, restored.stderr);
    assert.deepEqual(await projectsIn(target.toString()), [project]);
    assert.ok(
      !fs.existsSync(path.join(homePaths(home).postgres, 'PG_VERSION')),
      'no embedded cluster was made',
    );
    const seen = await api('GET', '/v1/projects', { token: await login(email, password, baseUrl), baseUrl });
    assert.equal(seen.status, 200, JSON.stringify(seen.body));
    assert.deepEqual(
      seen.body.projects.map((p: { name: string }) => p.name),
      [project],
      'the restored platform serves the backup’s project',
    );
  },
);
