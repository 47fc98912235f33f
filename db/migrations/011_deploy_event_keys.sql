-- An event written by an activity carries a key that is the same on every attempt of that
-- activity (workflow run, activity id, position), so a retried activity adds no second copy.
-- Build output lines have no key: a retried build prints what it prints again.
ALTER TABLE deploy_events ADD COLUMN key text;
CREATE UNIQUE INDEX deploy_events_key ON deploy_events (deploy_id, key) WHERE key IS NOT NULL;
