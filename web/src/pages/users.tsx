import { useState } from 'preact/hooks';
import { get, send } from '../api';
import { RemoveUser, removedText } from '../components/remove-user';
import type { User } from '../types';
import { Loading, Problem, Table, useAction, useLoad, when } from '../ui';

/** Users of the platform, for admins (GET /v1/users answers 403 to others); add one, remove one (confirmed). */
export function Users({ me }: { me: User }) {
  const users = useLoad(() => get<{ users: User[] }>('/users'), []);
  const [email, setEmail] = useState('');
  const [admin, setAdmin] = useState(false);
  const [created, setCreated] = useState<{ email: string; password?: string } | undefined>(undefined);
  const [removing, setRemoving] = useState<string | undefined>(undefined);
  const [removed, setRemoved] = useState<string | undefined>(undefined);
  const action = useAction();
  const add = (e: Event) => {
    e.preventDefault();
    void action.run(async () => {
      const res = await send<{ user: User; generatedPassword?: string }>('POST', '/users', { email, admin });
      setCreated({ email: res.user.email, password: res.generatedPassword });
      setEmail('');
      users.reload();
    });
  };
  return (
    <section>
      <h1>Users</h1>
      {me.isAdmin && (
        <form class="inline" onSubmit={add}>
          <label>
            Email
            <input type="email" required value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
          </label>
          <label class="check">
            <input type="checkbox" checked={admin} onChange={(e) => setAdmin(e.currentTarget.checked)} />{' '}
            Admin
          </label>
          <button type="submit" disabled={action.busy}>
            Add user
          </button>
        </form>
      )}
      {created && (
        <p role="status">
          Added {created.email}
          {created.password ? (
            <>
              ; their password, shown once: <code class="secret">{created.password}</code>
            </>
          ) : (
            ''
          )}
        </p>
      )}
      {removed && <p role="status">{removed}</p>}
      {removing && (
        <RemoveUser
          email={removing}
          onCancel={() => setRemoving(undefined)}
          onDone={(r) => {
            setRemoving(undefined);
            setRemoved(removedText(r));
            users.reload();
          }}
        />
      )}
      <Problem error={action.error} />
      <Problem error={users.error} />
      {!users.data && !users.error && <Loading what="users" />}
      {users.data && (
        <Table caption="Users" head={['Email', 'Role', 'Created', '']}>
          {users.data.users.map((u) => (
            <tr key={u.id}>
              <td>{u.email}</td>
              <td>{u.isAdmin ? 'admin' : 'user'}</td>
              <td>{when(u.createdAt)}</td>
              <td>
                {/* The API refuses removing yourself too: another admin must. */}
                {me.isAdmin && u.id !== me.id ? (
                  <button
                    type="button"
                    onClick={() => {
                      setRemoved(undefined);
                      setRemoving(u.email);
                    }}
                  >
                    Remove {u.email}
                  </button>
                ) : (
                  u.id === me.id && 'you'
                )}
              </td>
            </tr>
          ))}
        </Table>
      )}
    </section>
  );
}
