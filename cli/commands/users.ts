import { ApiClient } from '../client.js';
import { info, out, printJson, table } from '../output.js';
import { readStdin } from '../prompt.js';
import type { User } from '../../api/accounts.js';

export async function usersCommand(opts: { json?: boolean; url?: string }) {
  const { users } = await ApiClient.forCli(opts.url).request<{ users: User[] }>('/v1/users');
  if (opts.json) return printJson({ users });
  table(
    ['EMAIL', 'ADMIN', 'CREATED'],
    users.map((u) => [u.email, u.isAdmin ? 'yes' : 'no', u.createdAt]),
  );
}

export async function usersAddCommand(
  email: string,
  opts: { admin?: boolean; passwordStdin?: boolean; json?: boolean; url?: string },
) {
  const password = opts.passwordStdin ? await readStdin() : undefined;
  const res = await ApiClient.forCli(opts.url).request<{ user: User; generatedPassword?: string }>(
    '/v1/users',
    {
      body: { email, password, admin: Boolean(opts.admin) },
    },
  );
  if (opts.json) return printJson(res);
  info(`Added ${res.user.email}${res.user.isAdmin ? ' as an admin' : ''}.`);
  if (res.generatedPassword) {
    info('Generated password (shown only now; pass it on safely):');
    out(res.generatedPassword);
  }
}
