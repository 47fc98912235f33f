-- Per-project limits an admin set; a NULL column means the platform default (RORO_QUOTA_*).
CREATE TABLE project_quotas (
  project_id bigint PRIMARY KEY REFERENCES projects(id) ON DELETE CASCADE,
  running_jobs int CHECK (running_jobs >= 0),
  services int CHECK (services >= 0),
  replicas int CHECK (replicas >= 0),
  volume_bytes bigint CHECK (volume_bytes >= 0),
  updated_at timestamptz NOT NULL DEFAULT now()
);
