-- The audit log: who did what, when, to which objects, with what outcome. Append-only and
-- hash-chained: each entry carries the SHA-256 of the previous entry's hash and its own
-- canonical content, so changing or removing any entry breaks every hash after it.
CREATE TABLE shahr.audit_log (
    seq         bigint      PRIMARY KEY,            -- gapless: previous seq + 1
    at          timestamptz NOT NULL,
    actor       text        NOT NULL,               -- subject of the token, or 'anonymous'
    role        text        NOT NULL,               -- the role the action was taken in
    operation   text        NOT NULL,               -- e.g. 'submitServiceRequest'
    target_ids  text[]      NOT NULL DEFAULT '{}',
    outcome     text        NOT NULL,               -- 'ok' or an error code
    detail      jsonb       NOT NULL DEFAULT '{}',
    prev_hash   text        NOT NULL,               -- hex; 64 zeros for the first entry
    hash        text        NOT NULL                -- hex SHA-256
);

CREATE FUNCTION shahr.refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'shahr.% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER audit_log_append_only
    BEFORE UPDATE OR DELETE ON shahr.audit_log
    FOR EACH ROW EXECUTE FUNCTION shahr.refuse_change();
CREATE TRIGGER audit_log_no_truncate
    BEFORE TRUNCATE ON shahr.audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION shahr.refuse_change();
