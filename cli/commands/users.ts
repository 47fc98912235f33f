import { ApiClient } from '../client.js';
import { info, out, printJson, table } from '../output.js';
import { readStdin } from '../prompt.js';
import type { User } from '../../api/accounts.js';
import type { RemovedUser } from '../../api/remove-user.js';
import { ConfigError } from '../../core/errors.js';

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

/** `--projects delete` or `--projects transfer=EMAIL` as the API's query. */
export function projectsQuery(option: string | undefined): string {
  if (option === undefined) return '';
  if (option === 'delete') return '?projects=delete';
  const m = /^transfer=(.+)$/.exec(option);
  if (m?.[1]) return `?projects=transfer&to=${encodeURIComponent(m[1])}`;
  throw new ConfigError(
    `--projects ${option} is not understood.`,
    'Use --projects delete, or --projects transfer=EMAIL to give the projects to another user.',
  );
}

export async function usersRemoveCommand(
  email: string,
  opts: { projects?: string; json?: boolean; url?: string },
) {
  const query = projectsQuery(opts.projects);
  const { removed } = await ApiClient.forCli(opts.url).request<{ removed: RemovedUser }>(
    `/v1/users/${encodeURIComponent(email)}${query}`,
    { method: 'DELETE' },
  );
  if (opts.json) return printJson({ removed });
  if (removed.deletedProjects.length) info(`Deleted projects ${removed.deletedProjects.join(', ')}.`);
  if (removed.transferredProjects.length)
    info(`Transferred projects ${removed.transferredProjects.join(', ')} to ${removed.transferredTo}.`);
  info(
    `Removed ${removed.email}; revoked ${removed.revokedTokens} API token${removed.revokedTokens === 1 ? '' : 's'}.`,
  );
}
