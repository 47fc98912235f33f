import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, get, send, setSession } from './api';
import { href, useRoute } from './router';
import type { Session } from './types';
import { Problem } from './ui';
import { SignIn } from './pages/sign-in';
import { Projects } from './pages/projects';
import { ProjectPage } from './pages/project';
import { Users } from './pages/users';
import './style.css';

function App() {
  const [session, setCurrent] = useState<Session | null | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const route = useRoute();

  const signedIn = (s: Session | null) => {
    setSession(s?.csrf ?? '', () => setCurrent(null));
    setCurrent(s);
  };
  useEffect(() => {
    get<Session>('/sessions/current').then(signedIn, (e: unknown) => {
      if (e instanceof ApiError && e.status === 401) signedIn(null);
      else setError(e);
    });
  }, []);

  if (error) return <Problem error={error} />;
  if (session === undefined) return <p role="status">Loading…</p>;
  if (session === null) return <SignIn onSignedIn={signedIn} />;

  const signOut = async () => {
    await send('DELETE', '/sessions/current').catch(() => undefined);
    signedIn(null);
  };
  const [top, name, ...rest] = route;
  let page;
  if (top === 'projects' && name) page = <ProjectPage name={name} rest={rest} session={session} />;
  else if (top === 'users') page = <Users me={session.user} />;
  else page = <Projects />;

  return (
    <>
      <a
        class="skip"
        href="#main"
        onClick={(e) => (e.preventDefault(), document.getElementById('main')?.focus())}
      >
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href={href('projects')}>
          roro
        </a>
        <nav aria-label="Platform">
          <a href={href('projects')} aria-current={top !== 'users' ? 'page' : undefined}>
            Projects
          </a>
          {session.user.isAdmin && (
            <a href={href('users')} aria-current={top === 'users' ? 'page' : undefined}>
              Users
            </a>
          )}
        </nav>
        <span class="who">{session.user.email}</span>
        <button type="button" onClick={signOut}>
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        {page}
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
