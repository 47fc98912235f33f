import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { newUser, roro, tempConfigDir, unique } from '../helpers/platform.js';

test('login stores a 0600 token keyed by server; whoami and logout use it', async () => {
  const user = await newUser();
  const cfg = tempConfigDir();
  const login = await roro(['login', '--email', user.email, '--password-stdin'], {
    configDir: cfg,
    input: `${user.password}\n`,
  });
  assert.equal(login.code, 0, login.stderr);
  assert.match(login.stderr, new RegExp(`Logged in to .* as ${user.email}`));
  assert.doesNotMatch(login.stdout + login.stderr, new RegExp(user.password));
  const file = path.join(cfg, 'roro', 'credentials.json');
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  const saved = JSON.parse(fs.readFileSync(file, 'utf8'));
  assert.deepEqual(Object.keys(saved), [process.env.RORO_URL]);
  const who = await roro(['whoami'], { configDir: cfg });
  assert.equal(who.code, 0);
  assert.match(who.stdout, new RegExp(user.email));
  const out = await roro(['logout'], { configDir: cfg });
  assert.equal(out.code, 0, out.stderr);
  const after = await roro(['whoami'], { configDir: cfg });
  assert.equal(after.code, 1);
  assert.match(after.stderr, /^Error: You are not logged in/m);
  assert.match(after.stderr, /roro login/);
});

test('wrong password exits 1 with the reason on stderr', async () => {
  const user = await newUser();
  const res = await roro(['login', '--email', user.email, '--password-stdin'], {
    configDir: tempConfigDir(),
    input: 'nope-nope\n',
  });
  assert.equal(res.code, 1);
  assert.match(res.stderr, /^Error: Wrong email or password\./m);
  assert.equal(res.stdout, '');
});

test('login without a terminal and without --password-stdin is a usage error', async () => {
  const res = await roro(['login', '--email', 'a@example.com'], { configDir: tempConfigDir() });
  assert.equal(res.code, 2);
  assert.match(res.stderr, /--password-stdin/);
});

test('projects: create, list as text and JSON, bad and taken names, delete with --yes', async () => {
  const user = await newUser();
  const cfg = tempConfigDir();
  await roro(['login', '--email', user.email, '--password-stdin'], { configDir: cfg, input: user.password });
  const name = unique('cli');
  const created = await roro(['create', name], { configDir: cfg });
  assert.equal(created.code, 0, created.stderr);
  const list = await roro(['projects'], { configDir: cfg });
  assert.match(list.stdout, /^NAME\s+OWNER\s+ROLE\s+CREATED/m);
  assert.match(list.stdout, new RegExp(`^${name}\\s+${user.email}\\s+owner`, 'm'));
  const json = JSON.parse((await roro(['projects', '--json'], { configDir: cfg })).stdout);
  assert.deepEqual(
    json.projects.map((p: { name: string }) => p.name),
    [name],
  );
  const bad = await roro(['create', 'Bad_Name'], { configDir: cfg });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^Error: Invalid project name "Bad_Name": a project name must be/m);
  const taken = await roro(['create', name], { configDir: cfg });
  assert.equal(taken.code, 1);
  assert.match(taken.stderr, /taken/);
  const noConfirm = await roro(['projects:delete', name], { configDir: cfg });
  assert.equal(noConfirm.code, 2);
  assert.match(noConfirm.stderr, /--yes/);
  const del = await roro(['projects:delete', name, '--yes'], { configDir: cfg });
  assert.equal(del.code, 0, del.stderr);
  assert.equal(
    JSON.parse((await roro(['projects', '--json'], { configDir: cfg })).stdout).projects.length,
    0,
  );
});

test('help for every command, unknown commands exit 2, RORO_URL selects the server', async () => {
  const help = await roro(['--help']);
  assert.equal(help.code, 0);
  for (const cmd of [
    'login',
    'logout',
    'whoami',
    'users',
    'users:add',
    'projects',
    'create',
    'projects:delete',
    'server',
  ]) {
    assert.match(help.stdout, new RegExp(`\\b${cmd}\\b`));
    const sub = await roro([cmd, '--help']);
    assert.equal(sub.code, 0, `${cmd} --help`);
    assert.match(sub.stdout, /Usage:/);
  }
  const unknown = await roro(['frobnicate']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /^Error: Unknown command frobnicate\./m);
  const elsewhere = await roro(['projects'], {
    configDir: tempConfigDir(),
    env: { RORO_URL: 'http://127.0.0.1:9' },
  });
  assert.equal(elsewhere.code, 1);
  assert.match(elsewhere.stderr, /not logged in to http:\/\/127\.0\.0\.1:9/);
});

test('users:add by an admin prints the generated password once on stdout', async () => {
  const cfg = tempConfigDir();
  await roro(['login', '--email', process.env.RORO_ADMIN_EMAIL!, '--password-stdin'], {
    configDir: cfg,
    input: process.env.RORO_ADMIN_PASSWORD!,
  });
  const email = `${unique('cli')}@example.com`;
  const add = await roro(['users:add', email], { configDir: cfg });
  assert.equal(add.code, 0, add.stderr);
  const password = add.stdout.trim();
  assert.ok(password.length >= 16);
  const login = await roro(['login', '--email', email, '--password-stdin'], {
    configDir: tempConfigDir(),
    input: password,
  });
  assert.equal(login.code, 0, login.stderr);
  const users = await roro(['users', '--json'], { configDir: cfg });
  assert.ok(JSON.parse(users.stdout).users.some((u: { email: string }) => u.email === email));
});
