import { useState } from 'preact/hooks';
import { get, projectPath, send } from '../api';
import { JobLog } from '../components/job-log';
import { href, navigate } from '../router';
import type { Job } from '../types';
import { Loading, Problem, Status, Table, useAction, useLoad, when } from '../ui';

/** Splits a command line into argv the way a shell would for plain words and quotes. */
export function splitCommand(text: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  for (const m of text.matchAll(re)) out.push(m[1]?.replace(/\\(.)/g, '$1') ?? m[2] ?? m[3] ?? '');
  return out;
}

/** Jobs with status; start one (POST .../jobs), stop one, and follow one's log live. */
export function Jobs({ project, open }: { project: string; open?: string }) {
  const jobs = useLoad(() => get<{ jobs: Job[] }>(projectPath(project, '/jobs?all=1&limit=50')), [project]);
  const [command, setCommand] = useState('');
  const action = useAction();
  const start = (e: Event) => {
    e.preventDefault();
    void action.run(async () => {
      const { job } = await send<{ job: Job }>('POST', projectPath(project, '/jobs'), {
        command: splitCommand(command),
      });
      setCommand('');
      jobs.reload();
      navigate('projects', project, 'jobs', job.id);
    });
  };
  const stop = (id: string) =>
    action.run(async () => {
      await send('POST', projectPath(project, `/jobs/${encodeURIComponent(id)}/stop`));
      jobs.reload();
    });
  return (
    <>
      <h2>Jobs</h2>
      <form class="inline" onSubmit={start}>
        <label>
          Command
          <input
            name="command"
            required
            placeholder="python train.py"
            value={command}
            onInput={(e) => setCommand(e.currentTarget.value)}
          />
        </label>
        <button type="submit" disabled={action.busy || !command.trim()}>
          Run job
        </button>
      </form>
      <Problem error={action.error} />
      {open && <JobLog project={project} id={open} onEnd={jobs.reload} />}
      <Problem error={jobs.error} />
      {!jobs.data && !jobs.error && <Loading what="jobs" />}
      {jobs.data && jobs.data.jobs.length === 0 && <p>No jobs yet.</p>}
      {jobs.data && jobs.data.jobs.length > 0 && (
        <Table caption="Jobs, newest first" head={['Job', 'Status', 'Command', 'Started', 'Release', '']}>
          {jobs.data.jobs.map((j) => (
            <tr key={j.id}>
              <td>
                <a href={href('projects', project, 'jobs', j.id)}>{j.id}</a>
                {j.task ? ` (task ${j.task})` : ''}
              </td>
              <td>
                <Status value={j.status} />
              </td>
              <td>
                <code>{j.command.join(' ')}</code>
              </td>
              <td>{when(j.createdAt)}</td>
              <td>{j.release ? `v${j.release}` : '—'}</td>
              <td>
                {j.status === 'running' && (
                  <button type="button" disabled={action.busy} onClick={() => stop(j.id)}>
                    Stop job {j.id}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </Table>
      )}
    </>
  );
}
