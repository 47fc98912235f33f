-- Model repositories: named, versioned model blobs of a project (rorodata's model repository).
CREATE TABLE model_repositories (
  id bigserial PRIMARY KEY,
  project_id bigint NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  name text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (project_id, name)
);

-- One saved model; its bytes are RORO_HOME/models/<project_id>/<repo name>/<version>.bin.
CREATE TABLE model_versions (
  repo_id bigint NOT NULL REFERENCES model_repositories(id) ON DELETE CASCADE,
  version int NOT NULL CHECK (version > 0),
  model_id text NOT NULL CHECK (model_id ~ '^[0-9a-f]{12}$'),
  content_encoding text NOT NULL,
  comment text NOT NULL DEFAULT '',
  metadata jsonb NOT NULL DEFAULT '{}',
  size bigint NOT NULL,
  sha256 text NOT NULL,
  created_by bigint REFERENCES users(id) ON DELETE SET NULL,
  -- Lineage: the job that saved it (its row may be gone) and the release its code came from.
  job_id text,
  release int,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (repo_id, version),
  UNIQUE (model_id)
);

CREATE TABLE model_tags (
  repo_id bigint NOT NULL REFERENCES model_repositories(id) ON DELETE CASCADE,
  tag text NOT NULL,
  version int NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (repo_id, tag),
  FOREIGN KEY (repo_id, version) REFERENCES model_versions(repo_id, version) ON DELETE CASCADE
);

-- A token with a project_id may only use that project's model and job endpoints; containers get
-- one per start (activities/platform-access.ts), and it dies with its container.
ALTER TABLE api_tokens ADD COLUMN project_id bigint REFERENCES projects(id) ON DELETE CASCADE;
