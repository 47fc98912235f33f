// Apart from the workflow, so that a task's schedule (domain/schedules.ts) names what it starts
// without depending on the activities' types, which the workflow needs.

/** What starts a job; never secrets: config vars are read by the activity that starts the container. */
export interface RunJobInput {
  projectId: string;
  project: string;
  /** Set by `roro run`; a scheduled run derives its id from the workflow id the server gave it. */
  jobId?: string;
  command: string[];
  size?: string;
  /** The roro.yml task that scheduled this run. */
  task?: string;
  timeoutSeconds?: number;
}
