import { useEffect, useState } from 'preact/hooks';
import { get, projectPath } from '../api';
import { DeployProgress } from '../components/deploy-progress';
import type { Deploy, Service } from '../types';
import { Loading, Problem, Status, Table, useLoad, when } from '../ui';

/** How often the overview looks for a deploy started elsewhere (the CLI): a short list, never a log. */
const DEPLOY_CHECK_MS = 2000;

/** Services with URL, status, instances and release; the deploys, the running one followed live. */
export function Overview({ project, temporalUiUrl }: { project: string; temporalUiUrl?: string }) {
  const services = useLoad(() => get<{ services: Service[] }>(projectPath(project, '/services')), [project]);
  const deploys = useLoad(
    () => get<{ deploys: Deploy[] }>(projectPath(project, '/deploys?limit=10')),
    [project],
  );
  const running = deploys.data?.deploys.find((d) => d.status === 'running');
  // The last deploy seen running stays on screen once it has ended, with its outcome.
  const [followed, setFollowed] = useState<Deploy | undefined>(undefined);
  useEffect(() => {
    if (running && running.id !== followed?.id) setFollowed(running);
  }, [running?.id]);
  useEffect(() => {
    if (running) return;
    const timer = setInterval(deploys.reload, DEPLOY_CHECK_MS);
    return () => clearInterval(timer);
  }, [running?.id, deploys.reload]);
  const history = temporalUiUrl
    ? `${temporalUiUrl}/namespaces/default/workflows?query=${encodeURIComponent(`RoroProject="${project}"`)}`
    : undefined;
  const ended = () => {
    deploys.reload();
    services.reload();
  };
  return (
    <>
      <h2>Services</h2>
      <Problem error={services.error} />
      {!services.data && !services.error && <Loading what="services" />}
      {services.data && services.data.services.length === 0 && (
        <p>Nothing deployed yet: run `roro deploy`.</p>
      )}
      {services.data && services.data.services.length > 0 && (
        <Table caption="Services" head={['Service', 'Status', 'Instances', 'Release', 'URL']}>
          {services.data.services.map((s) => (
            <tr key={s.name}>
              <td>{s.name}</td>
              <td>
                <Status value={s.status} />
              </td>
              <td>
                {s.running}/{s.instances} running, {s.ready} ready
              </td>
              <td>{s.release ? `v${s.release}` : '—'}</td>
              <td>
                <a href={s.url}>{s.url}</a>
              </td>
            </tr>
          ))}
        </Table>
      )}
      <h2>Deploys</h2>
      {history && (
        <p>
          <a href={history} target="_blank" rel="noopener noreferrer">
            Deploy history in the Temporal Web UI
          </a>
        </p>
      )}
      {followed && <DeployProgress project={project} deploy={followed} onEnd={ended} />}
      <Problem error={deploys.error} />
      {deploys.data && (
        <Table caption="Latest deploys" head={['Kind', 'Version', 'Status', 'Started', 'Message']}>
          {deploys.data.deploys.map((d) => (
            <tr key={d.id}>
              <td>
                {d.kind}
                {d.service ? ` ${d.service}` : ''}
              </td>
              <td>{d.version ? `v${d.version}` : '—'}</td>
              <td>
                <Status value={d.status} />
              </td>
              <td>{when(d.createdAt)}</td>
              <td class="message">{d.error ?? ''}</td>
            </tr>
          ))}
        </Table>
      )}
    </>
  );
}
