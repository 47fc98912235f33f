import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import { logPath } from '../../core/config.js';
import { rotatedFiles } from '../../platform/log-reader.js';
import { workflowIds } from '../../temporal/ids.js';
import { api, login, newUser, roro, tempConfigDir, testEnv, unique } from '../helpers/platform.js';
import { deployAndWait, gatewayRequest, projectCopy } from '../helpers/deploy.js';
import { waitFor } from '../helpers/function-container.js';

const docker = new Docker({ socketPath: '/var/run/docker.sock' });

/** Every log file under dir: the logs folder, and any `*.log` (rotated ones too) elsewhere. */
function logFiles(dir: string, inLogs = false, out: string[] = []): string[] {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) logFiles(p, inLogs || entry.name === 'logs', out);
    else if (entry.isFile() && (inLogs || /\.log(\.\d+)?$/.test(entry.name))) out.push(p);
  }
  return out;
}

/** A file's bytes; nothing when it is gone (the oldest rotated log is deleted as a log rotates). */
function readIfThere(file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return Buffer.alloc(0);
    throw err;
  }
}

/** The JSON lines of a component's log, across its rotated files, that pass `keep`. */
function jsonLines(component: string, keep: (line: Record<string, unknown>) => boolean) {
  const file = logPath(testEnv().home, component);
  const text = [...rotatedFiles(file).reverse(), file].map((f) => readIfThere(f).toString()).join('');
  const out: Record<string, unknown>[] = [];
  for (const line of text.split('\n')) {
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue; // a line of another program, or one cut at the size cap
    }
    if (typeof parsed === 'object' && parsed !== null && keep(parsed)) out.push(parsed);
  }
  return out;
}

/** The env value a project's service container was given, read from Docker. */
async function containerEnv(project: string, name: string): Promise<string> {
  const [c] = await docker.listContainers({
    filters: { label: [`roro.project=${project}`, 'roro.service=default'] },
  });
  assert.ok(c, `a running service container of ${project}`);
  const env = (await docker.getContainer(c.Id).inspect()).Config.Env ?? [];
  const value = env.find((e) => e.startsWith(`${name}=`))?.slice(name.length + 1);
  assert.ok(value, `${name} in the service's environment`);
  return value;
}

test(
  'platform logs: one JSON line per API request, activity lines with workflow ids, and no secret anywhere',
  { timeout: 900_000 },
  async (t) => {
    const project = unique('logsec');
    const P = `/v1/projects/${project}`;
    const user = await newUser();
    const secrets: Record<string, string> = {
      'user password': user.password,
      'first token': user.token,
      'admin password': process.env.RORO_ADMIN_PASSWORD ?? '',
      'config value': `cfgsecret-${crypto.randomBytes(12).toString('hex')}`,
      'unknown token': `badtoken-${crypto.randomBytes(16).toString('hex')}`,
    };
    const configDir = tempConfigDir();
    const cli = (args: string[], input?: string) =>
      roro(args, { configDir, input, env: { RORO_PROJECT: project, RORO_URL: testEnv().apiUrl } });
    try {
      assert.equal(
        (await api('POST', '/v1/projects', { token: user.token, body: { name: project } })).status,
        201,
      );
      const deployed = await deployAndWait(user.token, project, projectCopy('hello', project));
      assert.equal(deployed.final.kind, 'done', JSON.stringify(deployed.final));

      // The CLI signs in with the password on stdin, then uses the token it was given.
      const signedIn = await cli(['login', '--email', user.email, '--password-stdin'], `${user.password}\n`);
      assert.equal(signedIn.code, 0, signedIn.stderr);
      const set = await cli(['config:set', `LOG_SECRET=${secrets['config value']}`]);
      assert.equal(set.code, 0, set.stderr);
      assert.equal((await cli(['config', '--show'])).code, 0);
      secrets['project token'] = await containerEnv(project, 'RORO_API_TOKEN');
      secrets['second token'] = await login(user.email, user.password);
      const refused = await api('GET', `${P}/config`, { token: secrets['unknown token'] });
      assert.equal(refused.status, 401);

      const started = await api('POST', `${P}/notebooks`, { token: user.token, body: {} });
      assert.equal(started.status, 202, JSON.stringify(started.body));
      const id = started.body.notebook.id as string;
      const running = await waitFor(
        'notebook running',
        async () => {
          const n = (await api('GET', `${P}/notebooks/${id}`, { token: user.token })).body.notebook;
          return n.status === 'running' ? n : undefined;
        },
        480,
        500,
      );
      const url = new URL(running.url as string);
      secrets['notebook token'] = url.searchParams.get('token')!;
      const jupyter = await gatewayRequest(
        `/${project}--nb-${id}/api/status?token=${secrets['notebook token']}`,
      );
      assert.equal(jupyter.status, 200);
      // nginx's error log quotes the request line and the referrer whole: a body over the gateway's
      // limit makes it write one such line, with the token in both.
      const nbPath = `/${project}--nb-${id}/lab?token=${secrets['notebook token']}`;
      const tooLarge = await gatewayRequest(nbPath, {
        method: 'POST',
        headers: { 'content-length': String(65 * 1024 * 1024), referer: `${url.origin}${nbPath}` },
      });
      assert.equal(tooLarge.status, 413);
      assert.equal((await api('POST', `${P}/notebooks/${id}/stop`, { token: user.token })).status, 202);
      assert.equal((await cli(['logout'])).code, 0);

      // The supervisor writes logs asynchronously: wait (bounded) for the last request, then judge.
      const mine = () => jsonLines('api', (l) => l.user === user.email || l.status === 401);
      const stopped = (l: Record<string, unknown>) => l.route === '/v1/projects/:name/notebooks/:id/stop';
      await waitFor('the API log to hold the notebook stop', async () => mine().find(stopped), 60, 500).catch(
        () => undefined,
      );
      const requests = mine();

      await t.test('each API request is one line: method, route pattern, status, duration, user', () => {
        const routes = new Set(
          requests.map((l) => `${String(l.method)} ${String(l.route)} ${String(l.status)}`),
        );
        for (const expected of [
          'POST /v1/projects/:name/deploys 202',
          'PATCH /v1/projects/:name/config 200',
          'GET /v1/projects/:name/config 200',
          'POST /v1/projects/:name/notebooks 202',
          'GET /v1/projects/:name/notebooks/:id 200',
          'POST /v1/projects/:name/notebooks/:id/stop 202',
          'GET /v1/projects/:name/config 401',
        ])
          assert.ok(routes.has(expected), `no request line "${expected}" in ${[...routes].join(', ')}`);
        for (const l of requests) {
          assert.equal(typeof l.durationMs, 'number', JSON.stringify(l));
          assert.ok(!String(l.route).includes(project), `a route names the project: ${JSON.stringify(l)}`);
          if (l.status !== 401) assert.equal(l.user, user.email);
        }
      });

      await t.test('activities log through Temporal, with their workflow and activity ids', () => {
        const deploy = jsonLines('worker', (l) => l.workflowId === workflowIds.deploy(project));
        assert.ok(deploy.length > 0, 'no worker line carries the deploy workflow id');
        assert.ok(deploy.every((l) => typeof l.activityType === 'string' && l.activityId !== undefined));
      });

      await t.test('the gateway’s error log names the notebook’s request without its token', async () => {
        const refused = `/${project}--nb-${id}/lab?[redacted]`;
        const gatewayLog = () =>
          [...rotatedFiles(logPath(testEnv().home, 'gateway')), logPath(testEnv().home, 'gateway')]
            .map((f) => readIfThere(f).toString())
            .join('');
        const line = await waitFor(
          'the error log line of the refused body',
          async () =>
            gatewayLog()
              .split('\n')
              .find((l) => l.includes('too large body') && l.includes(refused)),
          120,
          250,
        );
        assert.ok(line.includes(`referrer: "${url.origin}${refused}"`), line);
      });

      await t.test('no secret value in any log file under RORO_HOME', () => {
        const files = logFiles(testEnv().home);
        assert.ok(files.some((f) => f.endsWith('api.log')) && files.some((f) => f.endsWith('worker.log')));
        for (const [what, value] of Object.entries(secrets)) {
          if (!value) continue;
          assert.ok(value.length >= 12, `${what} is recognisable`);
          for (const file of files)
            assert.ok(!readIfThere(file).includes(value), `${file} contains the ${what}`);
        }
      });
    } finally {
      await api('DELETE', P, { token: secrets['second token'] ?? user.token }).catch(() => undefined);
      fs.rmSync(configDir, { recursive: true, force: true });
    }
  },
);
