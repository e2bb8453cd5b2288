-- Payments of Article 100 fines, in instalments. A reference (the bank's or the payment
-- gateway's) is recorded once, so a retried call never counts a payment twice.
CREATE TABLE shahr.fine_payments (
    id                bigserial   PRIMARY KEY,
    legacy_ruling_id  integer     NOT NULL,
    amount_rials      bigint      NOT NULL CHECK (amount_rials > 0),
    paid_on           date        NOT NULL,
    reference         text        NOT NULL UNIQUE,
    recorded_by       text        NOT NULL,
    recorded_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX fine_payments_ruling ON shahr.fine_payments (legacy_ruling_id, id);

CREATE TRIGGER fine_payments_append_only
    BEFORE UPDATE OR DELETE ON shahr.fine_payments
    FOR EACH ROW EXECUTE FUNCTION shahr.refuse_change();
