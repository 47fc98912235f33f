-- Config vars: one row per variable; the value is AES-256-GCM ciphertext (see api/secrets-box.ts),
-- bound to its project and name so a row copied elsewhere does not decrypt.
CREATE TABLE config_vars (
  project_id bigint NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  name text NOT NULL CHECK (name ~ '^[A-Z_][A-Z0-9_]*$'),
  value_enc text NOT NULL,
  updated_by bigint REFERENCES users(id) ON DELETE SET NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (project_id, name)
);
