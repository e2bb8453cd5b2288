-- Uploaded files (metadata; the bytes live in the configured blob store) and the documents
-- attached to requests.
CREATE TABLE shahr.uploads (
    id             uuid        PRIMARY KEY,
    owner_subject  text        NOT NULL,
    file_name      text        NOT NULL,
    content_type   text        NOT NULL,
    size_bytes     bigint      NOT NULL CHECK (size_bytes >= 0),
    sha256         text        NOT NULL,
    storage_key    text        NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE shahr.request_documents (
    id             bigserial   PRIMARY KEY,
    request_id     bigint      NOT NULL REFERENCES shahr.requests (id),
    upload_id      uuid        NOT NULL REFERENCES shahr.uploads (id),
    document_code  text        NOT NULL,
    attached_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (request_id, upload_id)
);
CREATE INDEX request_documents_request ON shahr.request_documents (request_id, id);
