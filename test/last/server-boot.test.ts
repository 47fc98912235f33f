import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { dockerClient } from '../../platform/components.js';
import { pidAlive, readPid } from '../../platform/proc.js';
import { deployAndWait, gatewayRequest, projectCopy } from '../helpers/deploy.js';
import { api, newUser, roro, testEnv, unique } from '../helpers/platform.js';
import { parseUnit } from '../helpers/systemd-unit.js';
import { withEngine } from '../helpers/docker.js';
import { supervisorRunning } from '../../platform/control.js';

const execFileP = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs a command line the way systemd would: its own environment only, no terminal. */
function runAsSystemd(argv: string[], environment: Record<string, string>, timeoutMs: number) {
  return new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    const [cmd, ...args] = argv;
    const child = spawn(cmd!, args, { env: environment, cwd: '/', stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

async function hello(project: string): Promise<number | undefined> {
  const res = await gatewayRequest(`/${project}/hello`, { body: { name: 'boot' } }).catch(() => undefined);
  return res?.status;
}

test(
  'server enable writes a unit that systemd accepts, and its ExecStart brings the platform and services back after a reboot',
  { timeout: 600_000 },
  async () => {
    const env = testEnv();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roro-systemd-'));
    try {
      const enabled = await roro(['server', 'enable'], { env: { RORO_SYSTEMD_DIR: dir } });
      assert.equal(enabled.code, 0, enabled.stderr);
      const file = path.join(dir, 'roro.service');
      assert.equal(enabled.stdout.trim(), file);
      // This machine has no systemd: the unit is written, and the stand-ins are printed.
      assert.match(enabled.stderr, /systemctl was not run/);
      assert.match(enabled.stderr, /@reboot env .*RORO_HOME=.*\/bin\/roro server up/);

      const text = fs.readFileSync(file, 'utf8');
      assert.ok(process.env.RORO_ADMIN_PASSWORD, 'scripts/test.sh sets RORO_ADMIN_PASSWORD');
      assert.ok(!text.includes(process.env.RORO_ADMIN_PASSWORD!), 'no password in the unit');
      assert.doesNotMatch(text, /RORO_ADMIN_PASSWORD|RORO_TOKEN/);
      const verify = await execFileP('/usr/bin/systemd-analyze', ['verify', file]).catch(
        (err: { code: number; stderr: string }) => err,
      );
      assert.equal('code' in verify ? verify.code : 0, 0, `systemd-analyze verify: ${verify.stderr}`);

      const unit = parseUnit(text);
      assert.equal(unit.environment.RORO_HOME, env.home);
      assert.equal(unit.environment.RORO_PORT_BASE, process.env.RORO_PORT_BASE);
      assert.equal(unit.environment.RORO_LOG_MAX_BYTES, process.env.RORO_LOG_MAX_BYTES);

      const user = await newUser();
      const project = unique('boot');
      assert.equal(
        (await api('POST', '/v1/projects', { token: user.token, body: { name: project } })).status,
        201,
      );
      const dep = await deployAndWait(user.token, project, projectCopy('hello', project));
      assert.equal(dep.final.kind, 'done', JSON.stringify(dep.events.slice(-3)));
      assert.equal(await hello(project), 200);

      const docker = dockerClient(env);
      const containers = await docker.listContainers({
        all: true,
        filters: { label: [`roro.project=${project}`] },
      });
      assert.ok(containers.length >= 1);
      // What a reboot does: the platform stops, and no container keeps running.
      const down = await roro(['server', 'down']);
      assert.equal(down.code, 0, down.stderr);
      // The service's containers vanish, as at a reboot that lost them (an engine the platform owns
      // stopped with it, and is started for this only): the start-up reconcile rolls it out again.
      await withEngine(async (engine) => {
        for (const c of containers) await engine.getContainer(c.Id).remove({ force: true });
      });

      // What boot does: the unit's ExecStart, exactly as written, with the unit's environment only.
      const start = await runAsSystemd(unit.execStart, unit.environment, 330_000);
      assert.equal(start.code, 0, start.output);
      // Type=forking: when ExecStart has exited, the pid file names the running supervisor.
      const pid = readPid(unit.pidFile);
      assert.ok(pid !== undefined && pidAlive(pid), `no live supervisor in ${unit.pidFile}`);
      const status = await roro(['server', 'status', '--json']);
      assert.equal(status.code, 0, status.stdout + status.stderr);
      for (const c of JSON.parse(status.stdout).components as { name: string; status: string }[]) {
        assert.equal(c.status, 'up', `${c.name} up`);
      }
      // The start-up reconcile rolls the vanished service out again; it answers through the gateway.
      let answered = await hello(project);
      for (let i = 0; i < 240 && answered !== 200; i++) {
        await sleep(500);
        answered = await hello(project);
      }
      assert.equal(answered, 200);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      // Whatever failed above, the tests after this one need a running platform.
      if (!supervisorRunning(env)) await roro(['server', 'up'], { timeoutMs: 240_000 });
    }
  },
);
