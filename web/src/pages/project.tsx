import { get, projectPath } from '../api';
import { href } from '../router';
import type { Project, Session } from '../types';
import { Loading, Problem, useLoad } from '../ui';
import { Overview } from './overview';
import { Releases } from './releases';
import { Jobs } from './jobs';
import { Tasks } from './tasks';
import { Notebooks } from './notebooks';
import { Volumes } from './volumes';
import { Config } from './config';
import { Models } from './models';

const TABS = [
  ['', 'Overview'],
  ['releases', 'Releases'],
  ['jobs', 'Jobs'],
  ['tasks', 'Tasks'],
  ['notebooks', 'Notebooks'],
  ['volumes', 'Volumes'],
  ['config', 'Config'],
  ['models', 'Models'],
] as const;

/**
 * One project: its name first, from GET /v1/projects/NAME, which answers 404 alike for a project
 * that does not exist and for one the user is no member of; nothing else is asked before it.
 */
export function ProjectPage({ name, rest, session }: { name: string; rest: string[]; session: Session }) {
  const { data, error } = useLoad(() => get<{ project: Project }>(projectPath(name)), [name]);
  const [tab = '', ...sub] = rest;
  if (error) {
    return (
      <section>
        <h1>{name}</h1>
        <Problem error={error} />
        <p>
          <a href={href('projects')}>Back to your projects</a>
        </p>
      </section>
    );
  }
  if (!data) return <Loading what={name} />;
  const pages: Record<string, () => preact.JSX.Element> = {
    '': () => <Overview project={name} temporalUiUrl={session.temporalUiUrl} />,
    releases: () => <Releases project={name} />,
    jobs: () => <Jobs project={name} open={sub[0]} />,
    tasks: () => <Tasks project={name} />,
    notebooks: () => <Notebooks project={name} />,
    volumes: () => <Volumes project={name} volume={sub[0]} path={sub.slice(1).join('/')} />,
    config: () => <Config project={name} />,
    models: () => <Models project={name} repo={sub[0]} />,
  };
  const page = pages[tab] ?? pages['']!;
  return (
    <section>
      <h1>{name}</h1>
      <nav class="tabs" aria-label={`Project ${name}`}>
        {TABS.map(([t, label]) => (
          <a
            key={t}
            href={t ? href('projects', name, t) : href('projects', name)}
            aria-current={tab === t ? 'page' : undefined}
          >
            {label}
          </a>
        ))}
      </nav>
      {page()}
    </section>
  );
}
