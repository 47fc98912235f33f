import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api } from '../helpers/platform.js';
import { gatewayRequest } from '../helpers/deploy.js';

test('by default the gateway does not expose the API: /api/ answers 404 JSON, the API itself still answers', async () => {
  const login = await gatewayRequest('/api/v1/auth/login', {
    body: { email: process.env.RORO_ADMIN_EMAIL, password: process.env.RORO_ADMIN_PASSWORD },
  });
  assert.equal(login.status, 404, JSON.stringify(login.body));
  // The gateway's own JSON for a path no route takes.
  assert.match(String(login.body?.error), /no service at .*\/api\/v1\/auth\/login/);
  assert.equal(login.body.token, undefined);
  assert.equal((await gatewayRequest('/api/v1/health')).status, 404);
  assert.equal((await api('GET', '/v1/health')).status, 200);
});
