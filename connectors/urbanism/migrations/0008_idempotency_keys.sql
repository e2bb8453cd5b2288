-- Idempotency keys of state-changing commands, written in the command's own transaction: a
-- retry with the same key finds the first attempt's result instead of changing anything again.
CREATE TABLE shahr.idempotency_keys (
    subject       text        NOT NULL,
    key           text        NOT NULL,
    operation     text        NOT NULL,
    payload_hash  text        NOT NULL,
    result        text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (subject, key)
);
CREATE INDEX idempotency_keys_created ON shahr.idempotency_keys (created_at);
