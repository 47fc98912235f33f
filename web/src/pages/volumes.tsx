import { useState } from 'preact/hooks';
import { API, get, projectPath, request } from '../api';
import { href } from '../router';
import type { VolumeEntry } from '../types';
import { bytes, Loading, Problem, Table, useAction, useLoad, when } from '../ui';

interface Volume {
  name: string;
  createdAt: string;
}

/** Volumes; one volume's directories browsed, files downloaded, and a file uploaded into the directory shown. */
export function Volumes({ project, volume, path }: { project: string; volume?: string; path: string }) {
  return volume ? (
    <Directory project={project} volume={volume} path={path} />
  ) : (
    <VolumeList project={project} />
  );
}

function VolumeList({ project }: { project: string }) {
  const vols = useLoad(() => get<{ volumes: Volume[] }>(projectPath(project, '/volumes')), [project]);
  return (
    <>
      <h2>Volumes</h2>
      <Problem error={vols.error} />
      {!vols.data && !vols.error && <Loading what="volumes" />}
      {vols.data && (
        <Table caption="Volumes" head={['Volume', 'Created']}>
          {vols.data.volumes.map((v) => (
            <tr key={v.name}>
              <td>
                <a href={href('projects', project, 'volumes', v.name)}>{v.name}</a>
              </td>
              <td>{when(v.createdAt)}</td>
            </tr>
          ))}
        </Table>
      )}
    </>
  );
}

function Directory({ project, volume, path }: { project: string; volume: string; path: string }) {
  const base = projectPath(project, `/volumes/${encodeURIComponent(volume)}`);
  const listing = useLoad(
    () =>
      get<{ entries: (VolumeEntry & { modifiedAt: string })[]; truncated: boolean }>(
        `${base}/ls?path=${encodeURIComponent(path)}`,
      ),
    [base, path],
  );
  const [file, setFile] = useState<File | undefined>(undefined);
  const action = useAction();
  const upload = (e: Event) => {
    e.preventDefault();
    if (!file) return;
    void action.run(async () => {
      const q = `path=${encodeURIComponent(path)}&name=${encodeURIComponent(file.name)}`;
      await request('PUT', `${base}/files?${q}`, undefined, file);
      setFile(undefined);
      (e.target as HTMLFormElement).reset();
      listing.reload();
    });
  };
  const parts = path.split('/').filter(Boolean);
  const at = (n: number) => href('projects', project, 'volumes', volume, ...parts.slice(0, n));
  return (
    <>
      <h2>
        <a href={href('projects', project, 'volumes')}>Volumes</a> / <a href={at(0)}>{volume}</a>
        {parts.map((p, i) => (
          <span key={i}>
            {' / '}
            <a href={at(i + 1)}>{p}</a>
          </span>
        ))}
      </h2>
      <form class="inline" onSubmit={upload}>
        <label>
          File to upload here
          <input type="file" required onChange={(e) => setFile(e.currentTarget.files?.[0])} />
        </label>
        <button type="submit" disabled={action.busy || !file}>
          Upload
        </button>
      </form>
      <Problem error={action.error} />
      <Problem error={listing.error} />
      {!listing.data && !listing.error && <Loading what="files" />}
      {listing.data && listing.data.entries.length === 0 && <p>This directory is empty.</p>}
      {listing.data && listing.data.entries.length > 0 && (
        <Table caption={`Files in ${volume}:/${path}`} head={['Name', 'Size', 'Modified', '']}>
          {listing.data.entries.map((e) => {
            const inner = [...parts, e.name].join('/');
            return (
              <tr key={e.name}>
                <td>
                  {e.type === 'dir' ? (
                    <a href={href('projects', project, 'volumes', volume, ...parts, e.name)}>{e.name}/</a>
                  ) : (
                    e.name
                  )}
                </td>
                <td>{e.type === 'file' ? bytes(e.size) : e.type}</td>
                <td>{when(e.modifiedAt)}</td>
                <td>
                  {e.type === 'file' && (
                    <a href={`${API}${base}/files?path=${encodeURIComponent(inner)}`} download={e.name}>
                      Download {e.name}
                    </a>
                  )}
                </td>
              </tr>
            );
          })}
        </Table>
      )}
      {listing.data?.truncated && <p>Only the first 10,000 entries are shown.</p>}
    </>
  );
}
