-- A request marked paid records its payment: the bank's or payment gateway's reference (each
-- reference pays one request) and the amount, which is the fee.
ALTER TABLE shahr.requests
    ADD COLUMN payment_reference text,
    ADD COLUMN paid_rials bigint CHECK (paid_rials > 0),
    ADD COLUMN paid_at timestamptz;
CREATE UNIQUE INDEX requests_payment_reference ON shahr.requests (payment_reference)
    WHERE payment_reference IS NOT NULL;
