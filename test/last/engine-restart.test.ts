import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import Docker from 'dockerode';
import { api, newUser, testEnv, unique } from '../helpers/platform.js';
import { deployAndWait, gatewayRequest, projectCopy } from '../helpers/deploy.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The engine serving the platform's socket: the dockerd whose command line names it, else the only one. */
function dockerdPid(socket: string): number {
  const engines = fs
    .readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map((pid) => {
      try {
        return { pid: Number(pid), cmd: fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0') };
      } catch {
        return undefined;
      }
    })
    .filter(
      (p): p is { pid: number; cmd: string[] } => p !== undefined && /(^|\/)dockerd$/.test(p.cmd[0] ?? ''),
    );
  const named = engines.filter((e) => e.cmd.some((a) => a.endsWith(socket)));
  const found = named.length === 1 ? named : engines.length === 1 ? engines : [];
  assert.equal(found.length, 1, `one dockerd serves ${socket}: ${JSON.stringify(engines)}`);
  return found[0]!.pid;
}

test(
  'kill -9 of the Docker engine: every service of every project serves again within 60 s of its return',
  { timeout: 400_000 },
  async () => {
    const env = testEnv();
    const docker = new Docker({ socketPath: env.dockerSocket });
    const user = await newUser();
    const projects: { name: string; path: string; body?: unknown }[] = [];
    for (const fixture of ['hello', 'flaky']) {
      const name = unique(`engine-${fixture}`);
      await api('POST', '/v1/projects', { token: user.token, body: { name } });
      const dep = await deployAndWait(user.token, name, projectCopy(fixture, name));
      assert.equal(dep.final.kind, 'done', JSON.stringify(dep.events.slice(-3)));
      projects.push(
        fixture === 'hello'
          ? { name, path: `/${name}/hello`, body: { name: 'engine' } }
          : { name, path: `/${name}/` },
      );
    }
    const pid = dockerdPid(env.dockerSocket);
    process.kill(pid, 'SIGKILL');
    // Whoever runs the engine brings it back: roro's supervisor when it started dockerd, else systemd.
    let back = 0;
    for (let i = 0; i < 600 && !back; i++) {
      await sleep(200);
      const answers = await docker.ping().then(
        () => true,
        () => false,
      );
      const newPid = answers ? dockerdPid(env.dockerSocket) : pid;
      if (answers && newPid !== pid) back = Date.now();
    }
    assert.ok(back, 'the Docker engine came back within 2 minutes');
    for (const p of projects) {
      let status = 0;
      while (Date.now() - back < 60_000) {
        status = await gatewayRequest(p.path, { ...(p.body ? { body: p.body } : {}) }).then(
          (r) => r.status,
          () => 0,
        );
        if (status === 200) break;
        await sleep(500);
      }
      assert.equal(status, 200, `${p.name} serves again within 60 s of the engine's return`);
    }
    console.log(
      `# every service serving ${Math.round((Date.now() - back) / 100) / 10} s after the engine returned`,
    );
    for (const p of projects) await api('DELETE', `/v1/projects/${p.name}`, { token: user.token });
  },
);
