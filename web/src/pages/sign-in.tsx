import { useState } from 'preact/hooks';
import { send, setSession } from '../api';
import type { Session } from '../types';
import { Problem, useAction } from '../ui';

/** Email and password for a session cookie (POST /v1/sessions); the same accounts as `roro login`. */
export function SignIn({ onSignedIn }: { onSignedIn: (s: Session) => void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const { busy, error, run } = useAction();
  const submit = (e: Event) => {
    e.preventDefault();
    void run(async () => {
      const created = await send<Session>('POST', '/sessions', { email, password });
      setSession(created.csrf);
      // The answer of /sessions/current also carries the platform's links.
      onSignedIn({ ...created, ...(await send<Session>('GET', '/sessions/current')) });
    });
  };
  return (
    <main id="main" class="sign-in">
      <h1>Sign in to roro</h1>
      <form onSubmit={submit}>
        <label>
          Email
          <input
            type="email"
            autocomplete="username"
            required
            value={email}
            onInput={(e) => setEmail(e.currentTarget.value)}
          />
        </label>
        <label>
          Password
          <input
            type="password"
            autocomplete="current-password"
            required
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        </label>
        <button type="submit" disabled={busy}>
          Sign in
        </button>
        <Problem error={error} />
      </form>
    </main>
  );
}
