-- Online payments of Article 100 fines. A payment pays either a request's fee or a final
-- ruling's fine (whole, or one instalment). A fine lives in the urbanism system: the payment
-- keeps the ruling, its number, the parcel's district and the owner who paid, so it can be
-- shown and routed without a second database; the money itself is recorded on the ruling,
-- once, by the gateway's reference.
ALTER TABLE shahr.payments
    ALTER COLUMN request_id DROP NOT NULL,
    ADD COLUMN ruling_id          integer,
    ADD COLUMN ruling_number      text,
    ADD COLUMN payer_national_id  text,
    ADD COLUMN fine_district      smallint,
    ADD CONSTRAINT payments_one_target CHECK (
        (request_id IS NOT NULL AND ruling_id IS NULL)
        OR (request_id IS NULL AND ruling_id IS NOT NULL
            AND payer_national_id IS NOT NULL AND fine_district IS NOT NULL));
CREATE INDEX payments_ruling ON shahr.payments (ruling_id, id) WHERE ruling_id IS NOT NULL;
CREATE INDEX payments_payer ON shahr.payments (payer_national_id, id) WHERE payer_national_id IS NOT NULL;
-- One payment of a fine under way at a time, so two instalments can never together pay more
-- than is owed.
CREATE UNIQUE INDEX payments_one_open_fine ON shahr.payments (ruling_id)
    WHERE ruling_id IS NOT NULL AND state IN ('PENDING', 'VERIFYING');
