import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api, apiUrl, newUser, unique } from '../helpers/platform.js';
import { deployAndWait, projectCopy } from '../helpers/deploy.js';

/** Signs in for a session; answers the Cookie header a browser would send back, and the CSRF value. */
async function session(email: string, password: string) {
  const res = await api('POST', '/v1/sessions', { body: { email, password } });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  const cookies = res.headers.getSetCookie();
  const value = (name: string) => cookies.find((c) => c.startsWith(`${name}=`))!.split(';')[0]!;
  return {
    res,
    cookies,
    cookie: `${value('roro_session')}; ${value('roro_csrf')}`,
    csrf: res.body.csrf as string,
  };
}

test('a session cookie is HttpOnly, Secure, SameSite=Strict and scoped to /_roro/; it carries an API token', async () => {
  const user = await newUser();
  const { res, cookies, cookie, csrf } = await session(user.email, user.password);
  assert.equal(res.body.user.email, user.email);
  const sessionCookie = cookies.find((c) => c.startsWith('roro_session='))!;
  assert.match(sessionCookie, /; Path=\/_roro\/; Max-Age=\d+; Secure; SameSite=Strict; HttpOnly$/);
  assert.match(
    cookies.find((c) => c.startsWith('roro_csrf='))!,
    /; Secure; SameSite=Strict$/,
  );
  assert.equal(res.headers.get('cache-control'), 'no-store');
  const current = await api('GET', '/v1/sessions/current', { headers: { cookie } });
  assert.equal(current.status, 200);
  assert.equal(current.body.csrf, csrf);
  assert.equal((await api('GET', '/v1/projects', { headers: { cookie } })).status, 200);
  // The cookie's value is a token of the CLI's kind.
  const token = /roro_session=([^;]+)/.exec(cookie)![1]!;
  assert.equal((await api('GET', '/v1/auth/whoami', { token })).body.user.email, user.email);
});

test('writes with the session cookie need the CSRF header; sign-out revokes the token', async () => {
  const user = await newUser();
  const { cookie, csrf } = await session(user.email, user.password);
  const create = (headers: Record<string, string>) =>
    api('POST', '/v1/projects', { headers: { cookie, ...headers }, body: { name: unique('csrf') } });
  const missing = await create({});
  assert.equal(missing.status, 403);
  assert.equal(missing.body.error.code, 'forbidden');
  assert.match(missing.body.error.message, /x-roro-csrf header set to the roro_csrf cookie's value/);
  assert.equal((await create({ 'x-roro-csrf': `${csrf.slice(0, -1)}x` })).status, 403);
  assert.equal((await create({ 'x-roro-csrf': csrf })).status, 201);
  // A bearer token is not a cookie: no CSRF check applies to it.
  assert.equal(
    (await api('POST', '/v1/projects', { token: user.token, body: { name: unique('tok') } })).status,
    201,
  );

  const out = await api('DELETE', '/v1/sessions/current', { headers: { cookie, 'x-roro-csrf': csrf } });
  assert.equal(out.status, 200);
  assert.ok(out.headers.getSetCookie().every((c) => /Max-Age=0/.test(c)));
  const after = await api('GET', '/v1/projects', { headers: { cookie } });
  assert.equal(after.status, 401);
  assert.equal(after.body.error.message, 'Invalid or revoked API token.');
});

test('a wrong password is refused like `roro login`, with no cookie; an oversized password is refused naming the field', async () => {
  const user = await newUser();
  const res = await api('POST', '/v1/sessions', { body: { email: user.email, password: 'wrong' } });
  assert.equal(res.status, 401);
  assert.equal(res.body.error.message, 'Wrong email or password.');
  assert.equal(res.headers.getSetCookie().length, 0);
  const long = await api('POST', '/v1/sessions', { body: { email: user.email, password: 'x'.repeat(2000) } });
  assert.equal(long.status, 400);
  assert.match(long.body.error.message, /body\.password/);
});

test(
  "a job's log streams as Server-Sent Events, resumes after Last-Event-ID, and ends with the job",
  { timeout: 300_000 },
  async () => {
    const user = await newUser();
    const project = unique('sse');
    assert.equal(
      (await api('POST', '/v1/projects', { token: user.token, body: { name: project } })).status,
      201,
    );
    const deployed = await deployAndWait(user.token, project, projectCopy('hello', project));
    assert.equal(deployed.final.kind, 'done');
    const started = await api('POST', `/v1/projects/${project}/jobs`, {
      token: user.token,
      body: {
        command: [
          'python',
          '-c',
          "import time\nfor i in range(4): print('n', i, flush=True); time.sleep(0.5)",
        ],
      },
    });
    assert.equal(started.status, 202);
    const url = `${apiUrl()}/v1/projects/${project}/jobs/${started.body.job.id}/logs/stream`;
    const res = await fetch(url, { headers: { authorization: `Bearer ${user.token}` } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    const text = await res.text();
    const lines = [...text.matchAll(/event: line\nid: (\d+)\ndata: (.*)\n\n/g)].map(
      (m) => JSON.parse(m[2]!).line,
    );
    assert.deepEqual(lines, ['n 0', 'n 1', 'n 2', 'n 3']);
    assert.match(text, /event: end\ndata: \{[^\n]*"status":"success"/);
    const firstId = /id: (\d+)/.exec(text)![1]!;
    const resumed = await (
      await fetch(url, { headers: { authorization: `Bearer ${user.token}`, 'last-event-id': firstId } })
    ).text();
    assert.deepEqual(
      [...resumed.matchAll(/data: (\{"seq".*)\n/g)].map((m) => JSON.parse(m[1]!).line),
      ['n 1', 'n 2', 'n 3'],
    );
    const other = await newUser();
    const refused = await fetch(url, { headers: { authorization: `Bearer ${other.token}` } });
    assert.equal(refused.status, 404);
  },
);

test("the project's deploys list, newest first", { timeout: 300_000 }, async () => {
  const user = await newUser();
  const project = unique('deps');
  await api('POST', '/v1/projects', { token: user.token, body: { name: project } });
  const res = await api('GET', `/v1/projects/${project}/deploys`, { token: user.token });
  assert.equal(res.status, 200);
  assert.deepEqual(res.body.deploys, []);
  const bad = await api('GET', `/v1/projects/${project}/deploys?limit=0`, { token: user.token });
  assert.equal(bad.status, 400);
  assert.match(bad.body.error.message, /query\.limit/);
  const other = await newUser();
  assert.equal((await api('GET', `/v1/projects/${project}/deploys`, { token: other.token })).status, 404);
});
