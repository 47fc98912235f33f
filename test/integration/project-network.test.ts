import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api, newUser, unique } from '../helpers/platform.js';
import { removeProjectContainers, testDocker } from '../helpers/docker.js';
import { deployAndWait, gatewayRequest, projectCopy } from '../helpers/deploy.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Run in a job: tries port 8080 on every address of the job's own /24 and on the addresses given,
 * and prints which answered, as one JSON line.
 */
const PROBE = `
import json, socket, sys
from concurrent.futures import ThreadPoolExecutor
me = socket.gethostbyname(socket.gethostname())
prefix = me.rsplit(".", 1)[0]
def reached(ip):
    s = socket.socket()
    s.settimeout(0.5)
    try:
        return s.connect_ex((ip, 8080)) == 0
    finally:
        s.close()
hood = [f"{prefix}.{i}" for i in range(1, 255) if f"{prefix}.{i}" != me]
given = sys.argv[1:]
with ThreadPoolExecutor(64) as pool:
    hood_open = [ip for ip, ok in zip(hood, pool.map(reached, hood)) if ok]
    given_open = [ip for ip, ok in zip(given, pool.map(reached, given)) if ok]
print("PROBE " + json.dumps({"me": me, "scanned": len(hood), "open": hood_open, "given": given_open}))
`;

interface Probe {
  me: string;
  scanned: number;
  open: string[];
  given: string[];
}

/** Every IPv4 address of the project's containers, on every network they are attached to. */
async function projectIps(project: string, kind: string): Promise<string[]> {
  const docker = testDocker();
  const cs = await docker.listContainers({
    filters: { label: [`roro.project=${project}`, `roro.kind=${kind}`] },
  });
  const ips: string[] = [];
  for (const c of cs) {
    const info = await docker.getContainer(c.Id).inspect();
    for (const n of Object.values(info.NetworkSettings.Networks)) if (n.IPAddress) ips.push(n.IPAddress);
  }
  return ips;
}

async function runProbe(token: string, project: string, targets: string[]): Promise<Probe> {
  const started = await api('POST', `/v1/projects/${project}/jobs`, {
    token,
    body: { command: ['python3', '-c', PROBE, ...targets] },
  });
  assert.equal(started.status, 202, JSON.stringify(started.body));
  const id = started.body.job.id as string;
  for (let i = 0; i < 240; i++) {
    const job = (await api('GET', `/v1/projects/${project}/jobs/${id}`, { token })).body.job;
    if (job.status !== 'running') break;
    await sleep(500);
  }
  const logs = await api('GET', `/v1/projects/${project}/jobs/${id}/logs?limit=1000`, { token });
  const text = logs.body.lines.map((l: { line: string }) => l.line).join('\n');
  const line = /PROBE (.*)/.exec(text);
  assert.ok(line?.[1], `the probe job printed its result:\n${text}`);
  return JSON.parse(line[1]) as Probe;
}

test('project networks: another project reaches nothing of a service, its own project does', async (t) => {
  const user = await newUser();
  const a = unique('neta');
  const b = unique('netb');
  for (const name of [a, b])
    assert.equal((await api('POST', '/v1/projects', { token: user.token, body: { name } })).status, 201);
  t.after(async () => {
    await removeProjectContainers(a);
    await removeProjectContainers(b);
    for (const name of [a, b]) await api('DELETE', `/v1/projects/${name}`, { token: user.token });
  });
  for (const name of [a, b]) {
    const deployed = await deployAndWait(user.token, name, projectCopy('hello', name));
    assert.equal(deployed.final.kind, 'done', JSON.stringify(deployed.events.slice(-5)));
  }
  const aIps = await projectIps(a, 'service');
  assert.ok(aIps.length > 0, "A's service has an address");
  const bIps = await projectIps(b, 'service');

  const fromB = await runProbe(user.token, b, aIps);
  assert.ok(fromB.scanned >= 250, JSON.stringify(fromB));
  assert.deepEqual(fromB.given, [], `a job of B reached A's service at ${fromB.given.join(', ')}`);
  const strangers = fromB.open.filter((ip) => !bIps.includes(ip));
  assert.deepEqual(strangers, [], `a job of B reached containers of other projects: ${strangers.join(', ')}`);

  const fromA = await runProbe(user.token, a, aIps);
  assert.deepEqual(fromA.given, aIps, "a job of A reaches A's service directly");
  assert.ok(
    fromA.open.some((ip) => aIps.includes(ip)),
    JSON.stringify(fromA),
  );

  const served = await gatewayRequest(`/${a}/hello`, { body: { name: 'net' } });
  assert.equal(served.status, 200, JSON.stringify(served.body));
  assert.equal(served.body.greeting, 'hello net');
});

test('project networks: deleting the project removes its network', async (t) => {
  const user = await newUser();
  const project = unique('netdel');
  assert.equal(
    (await api('POST', '/v1/projects', { token: user.token, body: { name: project } })).status,
    201,
  );
  t.after(() => removeProjectContainers(project));
  const deployed = await deployAndWait(user.token, project, projectCopy('hello', project));
  assert.equal(deployed.final.kind, 'done', JSON.stringify(deployed.events.slice(-5)));
  const docker = testDocker();
  const networks = () => docker.listNetworks({ filters: { label: [`roro.project=${project}`] } });
  const before = await networks();
  assert.equal(before.length, 1, 'one network for the project');
  const [c] = await docker.listContainers({ filters: { label: [`roro.project=${project}`] } });
  assert.ok(c);
  assert.deepEqual(Object.keys((await docker.getContainer(c.Id).inspect()).NetworkSettings.Networks), [
    before[0]!.Name,
  ]);

  assert.equal((await api('DELETE', `/v1/projects/${project}`, { token: user.token })).status < 300, true);
  let left = before;
  for (let i = 0; i < 120 && left.length; i++) {
    await sleep(500);
    left = await networks();
  }
  assert.deepEqual(left, [], 'the network is removed with the project');
});
