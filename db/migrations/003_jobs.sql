-- One row per job run: ad hoc (`roro run`) or started by a task's schedule; its workflow is runJob.
CREATE TABLE jobs (
  id text PRIMARY KEY,
  project_id bigint NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  workflow_id text NOT NULL,
  task text,
  command text[] NOT NULL,
  size text NOT NULL,
  status text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'success', 'failed', 'cancelled')),
  exit_code int,
  error text,
  attempt int NOT NULL DEFAULT 1,
  release_version int,
  image text,
  created_by bigint REFERENCES users(id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  finished_at timestamptz,
  -- Bounded logs: counted as they are stored, so the cap survives worker restarts.
  log_lines int NOT NULL DEFAULT 0,
  log_bytes bigint NOT NULL DEFAULT 0,
  log_dropped int NOT NULL DEFAULT 0
);
CREATE INDEX jobs_project ON jobs (project_id, created_at DESC);
CREATE INDEX jobs_workflow ON jobs (workflow_id);

-- The output of a job, kept after its container is gone.
CREATE TABLE job_logs (
  job_id text NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  seq int NOT NULL,
  ts timestamptz NOT NULL,
  -- The engine's own timestamp (RFC 3339, fixed nine fractional digits): a re-attached follower
  -- resumes after it, with nanosecond precision that timestamptz does not keep.
  dts text NOT NULL,
  stream text NOT NULL,
  line text NOT NULL,
  PRIMARY KEY (job_id, seq)
);

-- The tasks of a project's current roro.yml, each one Temporal Schedule task:<project>:<name>.
-- Kept here so a sync deletes schedules that the server's eventually consistent list does not show yet.
CREATE TABLE tasks (
  project_id bigint NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  name text NOT NULL,
  schedule_id text NOT NULL,
  spec jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (project_id, name)
);
