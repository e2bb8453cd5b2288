-- When a request entered its current state: the SLA clock of each step starts there.
ALTER TABLE shahr.requests ADD COLUMN state_since timestamptz NOT NULL DEFAULT now();
UPDATE shahr.requests SET state_since = updated_at;
CREATE INDEX requests_queue_order ON shahr.requests (district, state, id);
