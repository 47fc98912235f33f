/** Workflow and schedule ids are business keys, so a second start is idempotent or a clear conflict. */
export const workflowIds = {
  deploy: (project: string) => `deploy:${project}`,
  job: (project: string, jobId: string) => `job:${project}:${jobId}`,
  task: (project: string, task: string) => `task:${project}:${task}`,
  notebook: (project: string, id: string) => `notebook:${project}:${id}`,
  ping: (nonce: string) => `ping:${nonce}`,
};
