-- Issued rulings as signed, immutable records (the "digital hologram"). Content is written
-- once; state changes are appended to shahr.ruling_states; corrections come only as a new
-- (appeal) record that supersedes the old one.
CREATE TABLE shahr.issued_rulings (
    id                 bigserial   PRIMARY KEY,
    legacy_ruling_id   integer     NOT NULL UNIQUE,   -- tbl_ray.id_ray
    case_id            integer     NOT NULL,          -- tbl_parvandeh_takhalof.id_takhalof
    number             text        NOT NULL,
    content            jsonb       NOT NULL,          -- what was signed
    content_hash       text        NOT NULL,          -- SHA-256 of the canonical content
    key_id             text        NOT NULL,
    signature          text        NOT NULL,          -- Ed25519, base64
    verification_code  text        NOT NULL UNIQUE,   -- random, for /verify/{code} and the QR
    supersedes         bigint      REFERENCES shahr.issued_rulings (id),
    issued_by          text        NOT NULL,
    issued_at          timestamptz NOT NULL DEFAULT now(),
    idempotency_key    text        UNIQUE
);

CREATE TRIGGER issued_rulings_append_only
    BEFORE UPDATE OR DELETE ON shahr.issued_rulings
    FOR EACH ROW EXECUTE FUNCTION shahr.refuse_change();
CREATE TRIGGER issued_rulings_no_truncate
    BEFORE TRUNCATE ON shahr.issued_rulings
    FOR EACH STATEMENT EXECUTE FUNCTION shahr.refuse_change();

CREATE TABLE shahr.ruling_states (
    id                 bigserial   PRIMARY KEY,
    issued_ruling_id   bigint      NOT NULL REFERENCES shahr.issued_rulings (id),
    state              text        NOT NULL,
    at                 timestamptz NOT NULL DEFAULT now(),
    actor              text        NOT NULL,
    note               text
);
CREATE INDEX ruling_states_ruling ON shahr.ruling_states (issued_ruling_id, id);
