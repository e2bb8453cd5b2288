-- The audit chain is linked at commit, not at the time of the write.
--
-- Before, an append took one advisory lock per database and held it until the transaction
-- committed, so every audited transaction waited for every other one for its whole length.
-- Now a transaction writes its entries to `shahr.audit_pending` with the hash of their own
-- content (`entry_hash`, computed by the gateway); a deferred constraint trigger runs as the
-- transaction commits, takes the chain's head row, and moves each entry into
-- `shahr.audit_log` with its number, the previous hash and the link hash
--     hash = sha256_hex(prev_hash || ':' || seq || ':' || entry_hash).
-- The serialised part is this trigger and the commit itself: no client round trip happens
-- while the head is held. Entries written before this migration keep their first format
-- (entry_hash NULL) and are verified the old way.

ALTER TABLE shahr.audit_log ADD COLUMN entry_hash text;

-- The end of the chain: one row, updated by every link.
CREATE TABLE shahr.audit_head (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    seq      bigint  NOT NULL,
    hash     text    NOT NULL
);
INSERT INTO shahr.audit_head (seq, hash)
SELECT coalesce(max(seq), 0),
       coalesce((SELECT hash FROM shahr.audit_log ORDER BY seq DESC LIMIT 1),
                '0000000000000000000000000000000000000000000000000000000000000000')
FROM shahr.audit_log;

-- Entries of transactions that have not committed yet. A row lives only inside its own
-- transaction: the commit trigger moves it to the log.
CREATE TABLE shahr.audit_pending (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          timestamptz NOT NULL,
    actor       text        NOT NULL,
    role        text        NOT NULL,
    operation   text        NOT NULL,
    target_ids  text[]      NOT NULL DEFAULT '{}',
    outcome     text        NOT NULL,
    detail      jsonb       NOT NULL DEFAULT '{}',
    entry_hash  text        NOT NULL
);

CREATE FUNCTION shahr.audit_link() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    next_seq  bigint;
    prev      text;
    linked    text;
BEGIN
    SELECT seq + 1, hash INTO next_seq, prev FROM shahr.audit_head FOR UPDATE;
    linked := encode(sha256(convert_to(prev || ':' || next_seq::text || ':' || NEW.entry_hash, 'UTF8')), 'hex');
    UPDATE shahr.audit_head SET seq = next_seq, hash = linked;
    INSERT INTO shahr.audit_log (seq, at, actor, role, operation, target_ids, outcome, detail,
                                 prev_hash, hash, entry_hash)
    VALUES (next_seq, NEW.at, NEW.actor, NEW.role, NEW.operation, NEW.target_ids, NEW.outcome,
            NEW.detail, prev, linked, NEW.entry_hash);
    DELETE FROM shahr.audit_pending WHERE id = NEW.id;
    RETURN NULL;
END;
$$;

CREATE CONSTRAINT TRIGGER audit_pending_link_at_commit
    AFTER INSERT ON shahr.audit_pending
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION shahr.audit_link();
