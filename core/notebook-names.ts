/** How a notebook session is named: its route, its Jupyter base URL, its container. */
/** The route's service name: passes core/names.ts (no `--`), so the label is `<project>--nb-<id>`. */
export const notebookService = (id: string) => `nb-${id}`;
export const notebookLabel = (project: string, id: string) => `${project}--${notebookService(id)}`;
/** Jupyter's base_url: the path prefix the gateway serves the session under. */
export const notebookBase = (project: string, id: string) => `/${notebookLabel(project, id)}/`;
export const notebookContainerName = (project: string, id: string) => `roro-${project}-nb-${id}`;
