-- The transactional outbox: a mutation writes its event here in the same transaction as its
-- rows. The relay (one per database, elected by an advisory lock) publishes unrelayed rows
-- in id order and records the event id the bus gave each one.
CREATE TABLE shahr.outbox (
    id          bigserial   PRIMARY KEY,
    topic       text        NOT NULL CHECK (topic <> ''),
    payload     jsonb       NOT NULL,
    occurred_at timestamptz NOT NULL DEFAULT now(),
    event_id    text,
    relayed_at  timestamptz,
    CHECK ((event_id IS NULL) = (relayed_at IS NULL))
);

CREATE INDEX outbox_unrelayed ON shahr.outbox (id) WHERE relayed_at IS NULL;
CREATE UNIQUE INDEX outbox_event_id ON shahr.outbox (event_id) WHERE event_id IS NOT NULL;

-- Wake the relay as soon as a transaction that wrote events commits
-- (NOTIFY is delivered at commit, never for a rolled-back transaction).
CREATE FUNCTION shahr.outbox_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('shahr_outbox', '');
    RETURN NULL;
END;
$$;

CREATE TRIGGER outbox_notify
    AFTER INSERT ON shahr.outbox
    FOR EACH STATEMENT EXECUTE FUNCTION shahr.outbox_notify();
