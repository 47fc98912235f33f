import { useEffect, useState } from 'preact/hooks';
import { get, projectPath, send } from '../api';
import type { Notebook } from '../types';
import { Loading, Problem, Status, Table, useAction, useLoad, when } from '../ui';

/** While a session starts or stops, the list is asked again this often. */
const CHANGING_RELOAD_MS = 2000;

const live = (n: Notebook) => n.status === 'running' || n.status === 'starting';

/**
 * Notebook sessions: start one, open it, stop it. Open goes to the session's host URL (its token
 * in the query), an origin of its own, which Jupyter needs: by path it would run sandboxed.
 */
export function Notebooks({ project }: { project: string }) {
  const list = useLoad(async () => {
    const { notebooks } = await get<{ notebooks: Notebook[] }>(projectPath(project, '/notebooks?all=1'));
    // Only the answer about one notebook carries its URL with the token.
    return Promise.all(
      notebooks.map(async (n) =>
        live(n)
          ? (
              await get<{ notebook: Notebook }>(
                projectPath(project, `/notebooks/${encodeURIComponent(n.id)}`),
              )
            ).notebook
          : n,
      ),
    );
  }, [project]);
  // Sessions asked to stop that still run: their workflow removes the container, then records it.
  const [stopping, setStopping] = useState<ReadonlySet<string>>(new Set());
  const changing =
    list.data?.some((n) => n.status === 'starting' || (stopping.has(n.id) && live(n))) ?? false;
  useEffect(() => {
    if (!changing) return undefined;
    const timer = setTimeout(list.reload, CHANGING_RELOAD_MS);
    return () => clearTimeout(timer);
  }, [list.data]);
  const action = useAction();
  const start = (app: 'lab' | 'notebook') =>
    action.run(async () => {
      await send('POST', projectPath(project, '/notebooks'), { lab: app === 'lab' });
      list.reload();
    });
  const stop = (id: string) =>
    action.run(async () => {
      await send('POST', projectPath(project, `/notebooks/${encodeURIComponent(id)}/stop`));
      setStopping((ids) => new Set(ids).add(id));
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
                {live(n) &&
                  (stopping.has(n.id) ? (
                    'stopping…'
                  ) : (
                    <button type="button" disabled={action.busy} onClick={() => stop(n.id)}>
                      Stop notebook {n.id}
                    </button>
                  ))}
              </td>
            </tr>
          ))}
        </Table>
      )}
    </>
  );
}
