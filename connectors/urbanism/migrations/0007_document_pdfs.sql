-- The PDF of each judgment document, printed once from the stored document (which never
-- changes) and kept beside it; its SHA-256 is recorded and checked whenever it is served.
-- Written once, like the document.
CREATE TABLE shahr.ruling_document_pdfs (
    issued_ruling_id  bigint      PRIMARY KEY REFERENCES shahr.ruling_documents (issued_ruling_id),
    pdf               bytea       NOT NULL,
    sha256            text        NOT NULL,
    rendered_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TRIGGER ruling_document_pdfs_append_only
    BEFORE UPDATE OR DELETE ON shahr.ruling_document_pdfs
    FOR EACH ROW EXECUTE FUNCTION shahr.refuse_change();
CREATE TRIGGER ruling_document_pdfs_no_truncate
    BEFORE TRUNCATE ON shahr.ruling_document_pdfs
    FOR EACH STATEMENT EXECUTE FUNCTION shahr.refuse_change();
