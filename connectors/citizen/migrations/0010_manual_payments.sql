-- Payments recorded by hand (a bank slip, a transfer): one staff member records the reference
-- and amount, a second confirms them; only then does the request move to PAID.
CREATE TABLE shahr.manual_payments (
    request_id   bigint      PRIMARY KEY REFERENCES shahr.requests (id),
    reference    text        NOT NULL,
    amount_rials bigint      NOT NULL CHECK (amount_rials > 0),
    recorded_by  text        NOT NULL,
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    confirmed_by text,
    confirmed_at timestamptz,
    CHECK (confirmed_by IS NULL OR confirmed_by <> recorded_by)
);
