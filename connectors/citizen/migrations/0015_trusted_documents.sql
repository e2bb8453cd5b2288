-- Trusted documents: each client app's operations, registered ahead of time from its build's
-- manifest (hash -> document). A request may send only the hash; clients named in the
-- configuration may send nothing else.
CREATE TABLE shahr.trusted_documents (
    client          text        NOT NULL,
    hash            text        NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$'),
    document        text        NOT NULL,
    operation_name  text,
    added_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (client, hash)
);
