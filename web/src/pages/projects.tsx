import { get } from '../api';
import { href } from '../router';
import type { Project } from '../types';
import { Loading, Problem, Table, useLoad, when } from '../ui';

/** The projects the user is a member of (GET /v1/projects). */
export function Projects() {
  const { data, error } = useLoad(() => get<{ projects: Project[] }>('/projects'), []);
  return (
    <section>
      <h1>Projects</h1>
      <Problem error={error} />
      {!data && !error && <Loading what="projects" />}
      {data && data.projects.length === 0 && <p>No projects yet: create one with `roro create NAME`.</p>}
      {data && data.projects.length > 0 && (
        <Table caption="Your projects" head={['Project', 'Owner', 'Role', 'Created']}>
          {data.projects.map((p) => (
            <tr key={p.name}>
              <td>
                <a href={href('projects', p.name)}>{p.name}</a>
              </td>
              <td>{p.owner}</td>
              <td>{p.role}</td>
              <td>{when(p.createdAt)}</td>
            </tr>
          ))}
        </Table>
      )}
    </section>
  );
}
