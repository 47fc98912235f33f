import { useState } from 'preact/hooks';
import { get, projectPath, send } from '../api';
import { MetricPlot, numericFields } from '../components/metric-plot';
import { href } from '../router';
import type { ModelRepo, ModelVersion } from '../types';
import { bytes, Loading, Problem, Table, useAction, useLoad, when } from '../ui';

/** Model repositories; one repository's versions, metadata, tags, lineage and metric plot. */
export function Models({ project, repo }: { project: string; repo?: string }) {
  return repo ? <Repository project={project} repo={repo} /> : <Repositories project={project} />;
}

function Repositories({ project }: { project: string }) {
  const repos = useLoad(() => get<{ repositories: ModelRepo[] }>(projectPath(project, '/models')), [project]);
  return (
    <>
      <h2>Models</h2>
      <Problem error={repos.error} />
      {!repos.data && !repos.error && <Loading what="models" />}
      {repos.data && repos.data.repositories.length === 0 && (
        <p>No models yet: save one from a job with the roro Python package.</p>
      )}
      {repos.data && repos.data.repositories.length > 0 && (
        <Table caption="Model repositories" head={['Repository', 'Versions', 'Latest']}>
          {repos.data.repositories.map((r) => (
            <tr key={r.name}>
              <td>
                <a href={href('projects', project, 'models', r.name)}>{r.name}</a>
              </td>
              <td>{r.versions}</td>
              <td>{r.latest ? `v${r.latest}` : '—'}</td>
            </tr>
          ))}
        </Table>
      )}
    </>
  );
}

function Repository({ project, repo }: { project: string; repo: string }) {
  const base = projectPath(project, `/models/${encodeURIComponent(repo)}`);
  const versions = useLoad(() => get<{ versions: ModelVersion[] }>(`${base}/versions?limit=1000`), [base]);
  const list = versions.data?.versions ?? [];
  const fields = numericFields(list);
  const [chosen, setField] = useState<string | undefined>(undefined);
  const field =
    chosen && fields.includes(chosen) ? chosen : (fields.find((f) => /score/i.test(f)) ?? fields[0]);
  const [tag, setTag] = useState('');
  const [version, setVersion] = useState('');
  const action = useAction();
  const setTagTo = (e: Event) => {
    e.preventDefault();
    void action.run(async () => {
      await send('PUT', `${base}/tags/${encodeURIComponent(tag.trim())}`, { version: Number(version) });
      setTag('');
      versions.reload();
    });
  };
  const keys = [...new Set(list.flatMap((v) => Object.keys(v.metadata)))].sort();
  return (
    <>
      <h2>
        <a href={href('projects', project, 'models')}>Models</a> / {repo}
      </h2>
      <Problem error={versions.error} />
      {!versions.data && !versions.error && <Loading what="versions" />}
      {field && (
        <>
          <label class="inline">
            Plot field
            <select aria-label="Plot field" value={field} onChange={(e) => setField(e.currentTarget.value)}>
              {fields.map((f) => (
                <option key={f} value={f}>
                  {f}
                </option>
              ))}
            </select>
          </label>
          <MetricPlot versions={list} field={field} />
        </>
      )}
      {list.length > 0 && (
        <form class="inline" onSubmit={setTagTo}>
          <label>
            Tag
            <input
              required
              maxLength={64}
              placeholder="prod"
              value={tag}
              onInput={(e) => setTag(e.currentTarget.value)}
            />
          </label>
          <label>
            Version
            <select
              aria-label="Version"
              required
              value={version}
              onChange={(e) => setVersion(e.currentTarget.value)}
            >
              <option value="">choose</option>
              {list.map((v) => (
                <option key={v.version} value={String(v.version)}>
                  v{v.version}
                </option>
              ))}
            </select>
          </label>
          <button type="submit" disabled={action.busy}>
            Set tag
          </button>
        </form>
      )}
      <Problem error={action.error} />
      {list.length > 0 && (
        <Table
          caption={`Versions of ${repo}, newest first`}
          head={['Version', 'Tags', 'Created', 'Size', 'Lineage', ...keys]}
        >
          {list.map((v) => (
            <tr key={v.version}>
              <td>v{v.version}</td>
              <td>
                {v.tags.map((t) => (
                  <span class="tag" key={t}>
                    {t}
                  </span>
                ))}
              </td>
              <td>{when(v.createdAt)}</td>
              <td>{bytes(v.size)}</td>
              <td>
                {v.jobId && <a href={href('projects', project, 'jobs', v.jobId)}>job {v.jobId}</a>}
                {v.jobId && v.release !== null && ', '}
                {v.release !== null && (
                  <a href={href('projects', project, 'releases')}>release v{v.release}</a>
                )}
                {!v.jobId && v.release === null && '—'}
              </td>
              {keys.map((k) => (
                <td key={k}>{v.metadata[k] ?? ''}</td>
              ))}
            </tr>
          ))}
        </Table>
      )}
    </>
  );
}
