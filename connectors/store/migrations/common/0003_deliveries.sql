-- Messages to people (judicial e-notice, SMS, the in-app inbox), written in the same
-- transaction as what they announce and sent afterwards by the notifier: a transactional
-- outbox for notifications. `send_id` is the idempotent id given to providers, so a retry
-- after a timeout never sends twice.
CREATE TABLE shahr.deliveries (
    id                    bigserial   PRIMARY KEY,
    send_id               text        NOT NULL UNIQUE,
    channel               text        NOT NULL CHECK (channel IN ('E_NOTICE', 'SMS', 'INBOX')),
    subject_kind          text        NOT NULL,          -- 'ruling' or 'request'
    subject_id            text        NOT NULL,          -- legacy ruling id or tracking code
    receiver_national_id  text,
    receiver_mobile       text,
    receiver_name         text,
    title                 text        NOT NULL,
    body                  text        NOT NULL,
    link                  text,
    status                text        NOT NULL DEFAULT 'PENDING'
                                      CHECK (status IN ('PENDING', 'SENT', 'DELIVERED', 'FAILED')),
    attempts              integer     NOT NULL DEFAULT 0,
    next_attempt_at       timestamptz NOT NULL DEFAULT now(),
    last_error            text,
    provider_ref          text,
    delivered_at          timestamptz,
    created_at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX deliveries_due ON shahr.deliveries (next_attempt_at) WHERE status = 'PENDING';
CREATE INDEX deliveries_subject ON shahr.deliveries (subject_kind, subject_id);

-- The in-app inbox (`me { notifications }`).
CREATE TABLE shahr.inbox (
    id            bigserial   PRIMARY KEY,
    national_id   text        NOT NULL,
    title         text        NOT NULL,
    body          text        NOT NULL,
    link          text,
    subject_kind  text        NOT NULL,
    subject_id    text        NOT NULL,
    delivery_id   bigint      UNIQUE REFERENCES shahr.deliveries (id),
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX inbox_person ON shahr.inbox (national_id, id DESC);
