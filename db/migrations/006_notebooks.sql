-- One row per notebook session (`roro run:notebook`); its workflow is notebookSession.
CREATE TABLE notebooks (
  id text PRIMARY KEY,
  project_id bigint NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  workflow_id text NOT NULL,
  -- The route's service name (`nb-<id>`): the gateway serves it at /<project>--nb-<id>/.
  service text NOT NULL,
  app text NOT NULL CHECK (app IN ('lab', 'notebook')),
  size text NOT NULL,
  status text NOT NULL DEFAULT 'starting'
    CHECK (status IN ('starting', 'running', 'stopped', 'failed', 'finished')),
  error text,
  -- The Jupyter token, AES-GCM sealed with the config key (api/secrets-box.ts); set by the activity
  -- that starts the container, so it never passes through workflow history.
  token_sealed text,
  release_version int,
  image text,
  created_by bigint REFERENCES users(id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  finished_at timestamptz
);
CREATE INDEX notebooks_project ON notebooks (project_id, created_at DESC);
