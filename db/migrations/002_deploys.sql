-- One row per deploy-like operation (deploy, rollback, start, stop, restart); its workflow is deploy:<project>.
CREATE TABLE deploys (
  id text PRIMARY KEY,
  project_id bigint NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('deploy', 'rollback', 'start', 'stop', 'restart')),
  status text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'succeeded', 'failed')),
  user_id bigint REFERENCES users(id) ON DELETE SET NULL,
  workflow_id text NOT NULL,
  run_id text,
  code_sha256 text,
  code_dir text,
  roro_yml text,
  source_version int,
  service text,
  image text,
  version int,
  error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
);
CREATE INDEX deploys_project ON deploys (project_id, created_at DESC);

CREATE TABLE deploy_events (
  seq bigserial PRIMARY KEY,
  deploy_id text NOT NULL REFERENCES deploys(id) ON DELETE CASCADE,
  at timestamptz NOT NULL DEFAULT now(),
  kind text NOT NULL,
  message text NOT NULL,
  data jsonb
);
CREATE INDEX deploy_events_deploy ON deploy_events (deploy_id, seq);

-- A release is what a successful deploy or rollback put into service; numbered per project.
CREATE TABLE releases (
  project_id bigint NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  version int NOT NULL,
  deploy_id text NOT NULL UNIQUE REFERENCES deploys(id),
  kind text NOT NULL,
  image text NOT NULL,
  code_sha256 text NOT NULL,
  roro_yml text NOT NULL,
  rollback_of int,
  created_by bigint REFERENCES users(id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (project_id, version)
);

CREATE TABLE services (
  project_id bigint NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  name text NOT NULL,
  release_version int NOT NULL,
  desired text NOT NULL DEFAULT 'running' CHECK (desired IN ('running', 'stopped')),
  status text NOT NULL DEFAULT 'running',
  deploy_id text,
  instances int NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (project_id, name)
);

-- What the gateway serves: one row per routable service, upstreams are 127.0.0.1:<port> of live containers.
CREATE TABLE routes (
  project_id bigint NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  service text NOT NULL,
  upstreams text[] NOT NULL,
  deploy_id text,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (project_id, service)
);
