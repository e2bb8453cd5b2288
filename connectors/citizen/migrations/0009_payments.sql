-- Online payments of request fees through an internet payment gateway. The row's id is the
-- order id sent to the gateway: unique, bound to its amount before the citizen leaves, and
-- verified, settled or reversed once.
CREATE TABLE shahr.payments (
    id              bigserial   PRIMARY KEY,
    request_id      bigint      NOT NULL REFERENCES shahr.requests (id),
    provider        text        NOT NULL,
    amount_rials    bigint      NOT NULL CHECK (amount_rials > 0),
    state           text        NOT NULL DEFAULT 'PENDING'
                    CHECK (state IN ('PENDING', 'VERIFYING', 'SUCCEEDED', 'FAILED', 'REVERSED')),
    token           text,                           -- the gateway's RefId
    sale_reference  bigint,                         -- the gateway's reference of the money
    card_pan        text,                           -- masked, as the gateway gave it
    failure         text,                           -- why it failed or was reversed
    payer_subject   text        NOT NULL,
    idempotency_key text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    settled_at      timestamptz
);
CREATE INDEX payments_request ON shahr.payments (request_id, id);
-- A request is paid once.
CREATE UNIQUE INDEX payments_one_success ON shahr.payments (request_id) WHERE state = 'SUCCEEDED';
-- A retried start finds the first attempt.
CREATE UNIQUE INDEX payments_start_key ON shahr.payments (payer_subject, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
-- What the reconciliation job looks at.
CREATE INDEX payments_unsettled ON shahr.payments (updated_at) WHERE state IN ('PENDING', 'VERIFYING');
