-- What the healer (platform/heal) observed of each service: how often its instances exited while
-- they should have been running, the last exit's reason, and when the healer last looked.
ALTER TABLE services
  ADD COLUMN restarts int NOT NULL DEFAULT 0,
  ADD COLUMN last_exit text,
  ADD COLUMN last_exit_at timestamptz,
  ADD COLUMN ready int NOT NULL DEFAULT 0,
  ADD COLUMN observed_at timestamptz;
