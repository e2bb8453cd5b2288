-- Each workflow step a request went through: when it entered the state, when it left it, and
-- the step's SLA as the catalogue said when the step began. Kept by a trigger on
-- shahr.request_history, so every path that records a step keeps it too; the dashboards
-- aggregate it without a window over the whole history.
CREATE TABLE shahr.request_steps (
    history_id    bigint      PRIMARY KEY REFERENCES shahr.request_history (id),
    request_id    bigint      NOT NULL REFERENCES shahr.requests (id),
    state         text        NOT NULL,
    -- The request's, copied so that the dashboards filter and group without a join.
    service_code  text        NOT NULL,
    district      smallint    NOT NULL,
    submitted_at  timestamptz NOT NULL,
    entered_at    timestamptz NOT NULL,
    left_at       timestamptz,
    sla_seconds   float8
);
CREATE INDEX request_steps_request ON shahr.request_steps (request_id);
CREATE INDEX request_steps_district ON shahr.request_steps (district, submitted_at);
CREATE INDEX request_steps_submitted ON shahr.request_steps (submitted_at);
CREATE INDEX request_steps_open ON shahr.request_steps (request_id) WHERE left_at IS NULL;
CREATE INDEX requests_submitted ON shahr.requests (submitted_at);

CREATE FUNCTION shahr.record_request_step() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    UPDATE shahr.request_steps SET left_at = NEW.at
     WHERE request_id = NEW.request_id AND left_at IS NULL;
    INSERT INTO shahr.request_steps (history_id, request_id, state, service_code, district,
                                     submitted_at, entered_at, sla_seconds)
    SELECT NEW.id, NEW.request_id, NEW.to_state, r.service_code, r.district, r.submitted_at, NEW.at,
           (s.sla_hours ->> NEW.to_state)::float8 * 3600
      FROM shahr.requests r JOIN shahr.services s ON s.code = r.service_code
     WHERE r.id = NEW.request_id;
    RETURN NULL;
END
$$;

CREATE TRIGGER request_history_steps
    AFTER INSERT ON shahr.request_history
    FOR EACH ROW EXECUTE FUNCTION shahr.record_request_step();

-- The steps of requests recorded before this table existed.
INSERT INTO shahr.request_steps (history_id, request_id, state, service_code, district, submitted_at,
                                 entered_at, left_at, sla_seconds)
SELECT h.id, h.request_id, h.to_state, r.service_code, r.district, r.submitted_at, h.at,
       lead(h.at) OVER (PARTITION BY h.request_id ORDER BY h.id),
       (s.sla_hours ->> h.to_state)::float8 * 3600
  FROM shahr.request_history h
  JOIN shahr.requests r ON r.id = h.request_id
  JOIN shahr.services s ON s.code = r.service_code;
