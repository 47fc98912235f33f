import { get, projectPath, send } from '../api';
import { href } from '../router';
import type { Task } from '../types';
import { Loading, Problem, Status, Table, useAction, useLoad, when } from '../ui';

/** Periodic tasks (Temporal Schedules) with next run, last run and state; pause, resume, run now. */
export function Tasks({ project }: { project: string }) {
  const tasks = useLoad(() => get<{ tasks: Task[] }>(projectPath(project, '/tasks')), [project]);
  const action = useAction();
  const act = (task: string, what: 'pause' | 'resume' | 'run') =>
    action.run(async () => {
      await send('POST', projectPath(project, `/tasks/${encodeURIComponent(task)}/${what}`));
      tasks.reload();
    });
  return (
    <>
      <h2>Tasks</h2>
      <Problem error={action.error} />
      <Problem error={tasks.error} />
      {!tasks.data && !tasks.error && <Loading what="tasks" />}
      {tasks.data && tasks.data.tasks.length === 0 && <p>No tasks: add `tasks:` to roro.yml and deploy.</p>}
      {tasks.data && tasks.data.tasks.length > 0 && (
        <Table
          caption="Periodic tasks"
          head={['Task', 'Schedule', 'State', 'Next run', 'Last run', 'Actions']}
        >
          {tasks.data.tasks.map((t) => (
            <tr key={t.name}>
              <td>
                {t.name}
                <br />
                <code>{t.command}</code>
              </td>
              <td>{t.schedule}</td>
              <td>
                <Status value={t.paused ? 'paused' : t.running > 0 ? 'running' : 'active'} />
              </td>
              <td>{t.paused ? '—' : when(t.nextRun)}</td>
              <td>
                {when(t.lastRun)}
                {t.lastJob && (
                  <>
                    {' '}
                    <a href={href('projects', project, 'jobs', t.lastJob)}>{t.lastStatus ?? 'job'}</a>
                  </>
                )}
              </td>
              <td class="actions">
                {t.paused ? (
                  <button type="button" disabled={action.busy} onClick={() => act(t.name, 'resume')}>
                    Resume {t.name}
                  </button>
                ) : (
                  <button type="button" disabled={action.busy} onClick={() => act(t.name, 'pause')}>
                    Pause {t.name}
                  </button>
                )}
                <button type="button" disabled={action.busy} onClick={() => act(t.name, 'run')}>
                  Run {t.name} now
                </button>
              </td>
            </tr>
          ))}
        </Table>
      )}
    </>
  );
}
