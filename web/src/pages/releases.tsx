import { useEffect, useRef, useState } from 'preact/hooks';
import { get, projectPath, send } from '../api';
import { DeployProgress } from '../components/deploy-progress';
import type { Deploy, Release } from '../types';
import { Loading, Problem, Table, useAction, useLoad, when } from '../ui';

/** Releases, newest first, with a rollback to any earlier one once confirmed (POST .../rollbacks). */
export function Releases({ project }: { project: string }) {
  const releases = useLoad(() => get<{ releases: Release[] }>(projectPath(project, '/releases')), [project]);
  const [confirm, setConfirm] = useState<number | undefined>(undefined);
  const [rollback, setRollback] = useState<Deploy | undefined>(undefined);
  const action = useAction();
  // The confirmation takes the focus, so a keyboard user confirms with Enter or leaves with Tab.
  const confirmButton = useRef<HTMLButtonElement>(null);
  useEffect(() => confirmButton.current?.focus(), [confirm]);
  const start = (version: number) =>
    action.run(async () => {
      const { deploy } = await send<{ deploy: Deploy }>('POST', projectPath(project, '/rollbacks'), {
        version,
      });
      setConfirm(undefined);
      setRollback({ ...deploy, version });
    });
  return (
    <>
      <h2>Releases</h2>
      <Problem error={releases.error} />
      {!releases.data && !releases.error && <Loading what="releases" />}
      {rollback && <DeployProgress project={project} deploy={rollback} onEnd={releases.reload} />}
      <Problem error={action.error} />
      {confirm !== undefined && (
        <div class="confirm" role="alertdialog" aria-labelledby="confirm-rollback">
          <p id="confirm-rollback">
            Roll {project} back to release v{confirm}? Its services restart with that release's code and
            config.
          </p>
          <button
            type="button"
            class="danger"
            disabled={action.busy}
            onClick={() => start(confirm)}
            ref={confirmButton}
          >
            Confirm rollback to v{confirm}
          </button>
          <button type="button" onClick={() => setConfirm(undefined)}>
            Cancel
          </button>
        </div>
      )}
      {releases.data && releases.data.releases.length === 0 && <p>No releases yet: run `roro deploy`.</p>}
      {releases.data && releases.data.releases.length > 0 && (
        <Table caption="Releases" head={['Version', 'Kind', 'Created', 'By', '']}>
          {releases.data.releases.map((r) => (
            <tr key={r.version} aria-current={r.current ? 'true' : undefined}>
              <td>
                v{r.version}
                {r.current && <strong class="current"> current</strong>}
              </td>
              <td>{r.rollbackOf ? `rollback to v${r.rollbackOf}` : r.kind}</td>
              <td>{when(r.createdAt)}</td>
              <td>{r.createdBy ?? '—'}</td>
              <td>
                {!r.current && (
                  <button type="button" onClick={() => setConfirm(r.version)}>
                    Roll back to v{r.version}
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
