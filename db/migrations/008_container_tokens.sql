-- A container's token is bound to that exact container: the random value of its roro.api-token
-- label, then the Docker id the container got. Other platforms sharing the engine reuse small
-- token ids, so neither an id nor a guessable label may keep a token alive.
ALTER TABLE api_tokens ADD COLUMN container_label text, ADD COLUMN container_id text;
