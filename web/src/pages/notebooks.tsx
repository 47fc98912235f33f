import { get, projectPath, send } from '../api';
import type { Notebook } from '../types';
import { Loading, Problem, Status, Table, useAction, useLoad, when } from '../ui';

/** Notebook sessions: start one, open it (its URL carries its token), stop it. */
export function Notebooks({ project }: { project: string }) {
  const list = useLoad(async () => {
    const { notebooks } = await get<{ notebooks: Notebook[] }>(projectPath(project, '/notebooks?all=1'));
    // Only the answer about one notebook carries its URL with the token.
    return Promise.all(
      notebooks.map(async (n) =>
        n.status === 'running' || n.status === 'starting'
          ? (
              await get<{ notebook: Notebook }>(
                projectPath(project, `/notebooks/${encodeURIComponent(n.id)}`),
              )
            ).notebook
          : n,
      ),
    );
  }, [project]);
  const action = useAction();
  const start = (app: 'lab' | 'notebook') =>
    action.run(async () => {
      await send('POST', projectPath(project, '/notebooks'), { lab: app === 'lab' });
      list.reload();
    });
  const stop = (id: string) =>
    action.run(async () => {
      await send('POST', projectPath(project, `/notebooks/${encodeURIComponent(id)}/stop`));
      list.reload();
    });
  return (
    <>
      <h2>Notebooks</h2>
      <p>
        <button type="button" disabled={action.busy} onClick={() => start('notebook')}>
          Start a notebook
        </button>{' '}
        <button type="button" disabled={action.busy} onClick={() => start('lab')}>
          Start JupyterLab
        </button>{' '}
        <button type="button" onClick={list.reload}>
          Refresh
        </button>
      </p>
      <Problem error={action.error} />
      <Problem error={list.error} />
      {!list.data && !list.error && <Loading what="notebooks" />}
      {list.data && list.data.length === 0 && <p>No notebook sessions.</p>}
      {list.data && list.data.length > 0 && (
        <Table caption="Notebook sessions" head={['Session', 'Status', 'Started', 'Open', '']}>
          {list.data.map((n) => (
            <tr key={n.id}>
              <td>
                {n.id} ({n.app}, {n.size})
              </td>
              <td>
                <Status value={n.status} />
              </td>
              <td>{when(n.createdAt)}</td>
              <td>
                {n.hostUrl || n.url ? (
                  <a href={n.hostUrl ?? n.url} target="_blank" rel="noopener noreferrer">
                    Open notebook {n.id}
                  </a>
                ) : (
                  '—'
                )}
              </td>
              <td>
                {(n.status === 'running' || n.status === 'starting') && (
                  <button type="button" disabled={action.busy} onClick={() => stop(n.id)}>
                    Stop notebook {n.id}
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
