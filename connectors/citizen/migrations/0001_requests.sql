-- The citizen-request store. The service catalogue is data: a new service, or a service
-- opened in a new district, is a row, not a release.
CREATE TABLE shahr.services (
    code                text        PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]*$'),
    name_fa             text        NOT NULL,
    description_fa      text        NOT NULL DEFAULT '',
    steps               text[]      NOT NULL CHECK (steps[1] = 'SUBMITTED'),   -- workflow states in order
    required_documents  jsonb       NOT NULL DEFAULT '[]',  -- [{code, nameFa, required, maxBytes, contentTypes}]
    fee_rials           bigint      NOT NULL DEFAULT 0 CHECK (fee_rials >= 0),
    fee_per_m2_rials    bigint      NOT NULL DEFAULT 0 CHECK (fee_per_m2_rials >= 0),
    sla_hours           jsonb       NOT NULL DEFAULT '{}',  -- {STATE: hours}
    active              boolean     NOT NULL DEFAULT true,
    sort_order          integer     NOT NULL DEFAULT 0
);

CREATE TABLE shahr.service_districts (
    service_code   text        NOT NULL REFERENCES shahr.services (code),
    district       smallint    NOT NULL CHECK (district BETWEEN 1 AND 99),
    enabled_since  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (service_code, district)
);

CREATE TABLE shahr.requests (
    id                   bigserial   PRIMARY KEY,
    tracking_code        text        NOT NULL UNIQUE,
    citizen_subject      text        NOT NULL,
    citizen_national_id  text        NOT NULL,
    renovation_code      text        NOT NULL,
    district             smallint    NOT NULL,
    service_code         text        NOT NULL REFERENCES shahr.services (code),
    form                 jsonb       NOT NULL DEFAULT '{}',
    state                text        NOT NULL,
    assigned_to          text,
    fee_rials            bigint,
    idempotency_key      text,
    payload_hash         text        NOT NULL,
    submitted_at         timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    UNIQUE (citizen_subject, idempotency_key)
);
CREATE INDEX requests_citizen ON shahr.requests (citizen_national_id, id DESC);
CREATE INDEX requests_queue ON shahr.requests (district, state, submitted_at);
CREATE INDEX requests_parcel ON shahr.requests (renovation_code);

CREATE TABLE shahr.request_history (
    id          bigserial   PRIMARY KEY,
    request_id  bigint      NOT NULL REFERENCES shahr.requests (id),
    at          timestamptz NOT NULL DEFAULT now(),
    actor       text        NOT NULL,
    role        text        NOT NULL,
    from_state  text,
    to_state    text        NOT NULL,
    comment     text
);
CREATE INDEX request_history_request ON shahr.request_history (request_id, id);
