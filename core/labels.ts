/** The label that ties a container to the project-scoped token it was started with. */
export const TOKEN_LABEL = 'roro.api-token';
