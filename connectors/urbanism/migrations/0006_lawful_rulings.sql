-- What the law needs beside the legacy rows: the official holidays per Jalali year, the
-- parties every document must be served on, each party's legal service and objection, the
-- enforcement of final rulings, certificates issued through the gateway, and the numbers
-- reserved for a ruling before its case is locked.

-- Official holidays (besides Fridays), imported per Jalali year from the official calendar.
CREATE TABLE shahr.holiday_years (
    year         integer     PRIMARY KEY,
    source       text        NOT NULL,
    imported_by  text        NOT NULL,
    imported_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE shahr.holidays (
    day     date    PRIMARY KEY,
    year    integer NOT NULL REFERENCES shahr.holiday_years (year) ON DELETE CASCADE,
    jalali  text    NOT NULL,
    name    text    NOT NULL,
    kind    text    NOT NULL CHECK (kind IN ('SOLAR', 'LUNAR'))
);
CREATE INDEX holidays_year ON shahr.holidays (year);

-- The parties a document must be served on, as they stood when it was issued: every owner
-- of the parcel (natural persons by national id, legal entities by legal id, owners whose
-- identifier is unreadable by their legacy row, to be served by hand) and, for rulings, the
-- municipality. A document is a ruling (tbl_ray.id_ray) or a hearing's summons.
CREATE TABLE shahr.document_parties (
    id               serial  UNIQUE,
    document         text    NOT NULL CHECK (document IN ('RULING', 'SUMMONS')),
    document_id      bigint  NOT NULL,
    case_id          integer NOT NULL,
    party            text    NOT NULL,      -- nid:…, lid:…, owner:<id_malek>, municipality
    name             text    NOT NULL,
    legacy_owner_id  integer,
    by_hand          boolean NOT NULL,      -- no e-notice account can be addressed
    PRIMARY KEY (document, document_id, party)
);
CREATE INDEX document_parties_case ON shahr.document_parties (case_id);
CREATE INDEX document_parties_by_hand ON shahr.document_parties (document, document_id) WHERE by_hand;

-- Each legal service of a document on a party (e-notice receipt or service by hand). The
-- legacy tbl_eblagh row of a ruling's service is written too and stays the record of its
-- date; this row says whose service it was.
CREATE TABLE shahr.services (
    id                    bigserial   PRIMARY KEY,
    document              text        NOT NULL CHECK (document IN ('RULING', 'SUMMONS')),
    document_id           bigint      NOT NULL,
    case_id               integer     NOT NULL,
    party                 text        NOT NULL,
    served_on             date        NOT NULL,
    served_at             timestamptz NOT NULL,
    mode                  text        NOT NULL,
    receiver_name         text,
    receiver_national_id  text,
    agent                 text        NOT NULL,
    eblagh_id             integer,
    delivery_id           bigint      UNIQUE,
    recorded_by           text        NOT NULL,
    recorded_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX services_document ON shahr.services (document, document_id, party);
CREATE INDEX services_eblagh ON shahr.services (eblagh_id);

-- Objections with who objected and the day each was received (the legacy tbl_eteraz row is
-- written too). Several in time join one appeal.
CREATE TABLE shahr.objections (
    id                bigserial   PRIMARY KEY,
    legacy_ruling_id  integer     NOT NULL,
    eteraz_id         integer     NOT NULL,
    case_id           integer     NOT NULL,
    party             text        NOT NULL,
    received_on       date        NOT NULL,
    in_time           boolean     NOT NULL,
    last_day          date,
    filed_by          text        NOT NULL,
    role              text        NOT NULL,
    filed_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX objections_ruling ON shahr.objections (legacy_ruling_id, id);

-- How a final ruling was carried out, one record per outcome (demolition, restoration,
-- closure), with the date, the officer and the evidence; a demolition by the municipality
-- records its cost, a debt of the owner.
CREATE TABLE shahr.enforcements (
    id                bigserial   PRIMARY KEY,
    legacy_ruling_id  integer     NOT NULL,
    case_id           integer     NOT NULL,
    action            text        NOT NULL,
    outcome           text        NOT NULL,
    done_on           date        NOT NULL,
    officer           text        NOT NULL,
    evidence          text        NOT NULL,
    cost_rials        bigint      CHECK (cost_rials > 0),
    recorded_by       text        NOT NULL,
    recorded_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (legacy_ruling_id, outcome)
);
CREATE TRIGGER enforcements_append_only
    BEFORE UPDATE OR DELETE ON shahr.enforcements
    FOR EACH ROW EXECUTE FUNCTION shahr.refuse_change();

-- Cases sent back to the commission that imposed an unpaid final fine (Notes 2 and 3).
CREATE TABLE shahr.non_payment_referrals (
    id                bigserial   PRIMARY KEY,
    case_id           integer     NOT NULL,
    legacy_ruling_id  integer     NOT NULL,
    commission_id     integer,
    outstanding_rials bigint      NOT NULL,
    referred_by       text        NOT NULL,
    referred_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX non_payment_referrals_case ON shahr.non_payment_referrals (case_id, id);

-- Completion and no-violation certificates issued through the gateway (the legacy tbl_govahi
-- row is written too), one per citizen request.
CREATE TABLE shahr.certificates (
    id                     bigserial   PRIMARY KEY,
    govahi_id              integer     NOT NULL,
    parcel_id              integer     NOT NULL,
    kind                   text        NOT NULL,
    number                 text        NOT NULL,
    request_tracking_code  text        NOT NULL UNIQUE,
    issued_by              text        NOT NULL,
    issued_at              timestamptz NOT NULL DEFAULT now()
);

-- Issuing a ruling draws its number and legacy row id first, in a short transaction of its
-- own keyed by the idempotency key, so the dadnameh can be rendered and the content signed
-- before the case row is locked. A retry with the same key reuses the reservation.
CREATE TABLE shahr.issue_reservations (
    idempotency_key   text        PRIMARY KEY,
    draft_id          bigint      NOT NULL REFERENCES shahr.ruling_drafts (id),
    legacy_ruling_id  integer     NOT NULL UNIQUE,
    number            text        NOT NULL,
    issued_on         date        NOT NULL,
    reserved_by       text        NOT NULL,
    reserved_at       timestamptz NOT NULL DEFAULT now()
);

-- The defence window now runs from each owner's service of the summons, not from scheduling.
ALTER TABLE shahr.hearings
    ALTER COLUMN defence_opens_on DROP NOT NULL,
    ALTER COLUMN defence_closes_on DROP NOT NULL;

-- When each ruling became final: a primary ruling the day after the last party's objection
-- window closed with no objection in time, an appeal ruling when issued. Demolition periods
-- run from this day.
CREATE TABLE shahr.ruling_finality (
    legacy_ruling_id  integer     PRIMARY KEY,
    case_id           integer     NOT NULL,
    final_on          date        NOT NULL,
    recorded_by       text        NOT NULL,
    recorded_at       timestamptz NOT NULL DEFAULT now()
);
