import { useState } from 'preact/hooks';
import { get, projectPath } from '../api';
import { Loading, Problem, Table, useAction, useLoad, when } from '../ui';

interface ConfigVar {
  name: string;
  value?: string;
  updatedAt: string;
}

/** Config var names; a value is fetched and shown only when asked for, one at a time. */
export function Config({ project }: { project: string }) {
  const vars = useLoad(() => get<{ config: ConfigVar[] }>(projectPath(project, '/config')), [project]);
  const [shown, setShown] = useState<{ name: string; value: string } | undefined>(undefined);
  const action = useAction();
  const reveal = (name: string) =>
    action.run(async () => {
      const { config } = await get<{ config: ConfigVar[] }>(projectPath(project, '/config?values=1'));
      setShown({ name, value: config.find((c) => c.name === name)?.value ?? '' });
    });
  return (
    <>
      <h2>Config</h2>
      <p>Environment variables of every process of the project; set them with `roro config:set K=V`.</p>
      <Problem error={vars.error} />
      <Problem error={action.error} />
      {!vars.data && !vars.error && <Loading what="config" />}
      {vars.data && vars.data.config.length === 0 && <p>No config vars.</p>}
      {vars.data && vars.data.config.length > 0 && (
        <Table caption="Config vars" head={['Name', 'Value', 'Updated']}>
          {vars.data.config.map((c) => (
            <tr key={c.name}>
              <td>
                <code>{c.name}</code>
              </td>
              <td>
                {shown?.name === c.name ? (
                  <>
                    <code class="secret">{shown.value}</code>{' '}
                    <button type="button" onClick={() => setShown(undefined)}>
                      Hide {c.name}
                    </button>
                  </>
                ) : (
                  <button type="button" disabled={action.busy} onClick={() => reveal(c.name)}>
                    Reveal {c.name}
                  </button>
                )}
              </td>
              <td>{when(c.updatedAt)}</td>
            </tr>
          ))}
        </Table>
      )}
    </>
  );
}
