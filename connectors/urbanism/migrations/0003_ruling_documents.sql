-- The judgment document (dadnameh) of each issued ruling, as rendered when it was issued. Its
-- SHA-256 is part of the signed content, so the hologram covers the document too; like the
-- record, it is written once.
CREATE TABLE shahr.ruling_documents (
    issued_ruling_id  bigint      PRIMARY KEY REFERENCES shahr.issued_rulings (id),
    html              text        NOT NULL,
    sha256            text        NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TRIGGER ruling_documents_append_only
    BEFORE UPDATE OR DELETE ON shahr.ruling_documents
    FOR EACH ROW EXECUTE FUNCTION shahr.refuse_change();
CREATE TRIGGER ruling_documents_no_truncate
    BEFORE TRUNCATE ON shahr.ruling_documents
    FOR EACH STATEMENT EXECUTE FUNCTION shahr.refuse_change();
