import os from 'node:os';
import { ApiClient, serverUrl } from '../client.js';
import { removeCredential, saveCredential, saveServerUrl } from '../credentials.js';
import { ask, readStdin } from '../prompt.js';
import { info, out, printJson } from '../output.js';
import type { User } from '../../api/accounts.js';

export async function loginCommand(opts: { email?: string; passwordStdin?: boolean; url?: string }) {
  const url = serverUrl(opts.url);
  const email = opts.email ?? (await ask('Email: ', { flag: '--email EMAIL' }));
  const password = opts.passwordStdin
    ? await readStdin()
    : await ask('Password: ', {
        secret: true,
        flag: '--password-stdin (and send the password on standard input)',
      });
  const client = new ApiClient(url);
  const res = await client.request<{ token: string; user: User }>('/v1/auth/login', {
    auth: false,
    body: { email, password },
    headers: { 'user-agent': `roro-cli on ${os.hostname()}` },
  });
  const file = saveCredential(url, { email: res.user.email, token: res.token });
  if (opts.url) saveServerUrl(url);
  info(`Logged in to ${url} as ${res.user.email}. Token saved in ${file}.`);
}

export async function logoutCommand(opts: { url?: string }) {
  const client = ApiClient.forCli(opts.url);
  try {
    await client.request('/v1/auth/logout', { method: 'POST' });
  } finally {
    removeCredential(client.url);
  }
  info(`Logged out of ${client.url}.`);
}

export async function whoamiCommand(opts: { json?: boolean; url?: string }) {
  const client = ApiClient.forCli(opts.url);
  const { user } = await client.request<{ user: User }>('/v1/auth/whoami');
  if (opts.json) printJson({ ...user, server: client.url });
  else out(`${user.email}${user.isAdmin ? ' (admin)' : ''} on ${client.url}`);
}
