-- Routes of the platform's own, outside any project: the canary that `roro server status` probes
-- end to end through the gateway (served as project "roro", a name no user may take).
CREATE TABLE platform_routes (
  service text PRIMARY KEY,
  upstreams text[] NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
