-- What the gateway keeps about a case on its way through the commission, beside the legacy
-- rows it updates (tbl_parvandeh_takhalof, tbl_aqlam_takhalof, tbl_ray): the referral's fine
-- brief, hearings and defence windows, the owner's defences, commission sessions, drafts and
-- the members' signatures. All in the urbanism database, so one transaction covers the legacy
-- rows and ours.

-- Every lifecycle step the gateway applied, in order.
CREATE TABLE shahr.case_events (
    id           bigserial   PRIMARY KEY,
    case_id      integer     NOT NULL,             -- tbl_parvandeh_takhalof.id_takhalof
    event        text        NOT NULL,
    from_status  text        NOT NULL,
    to_status    text        NOT NULL,
    actor        text        NOT NULL,
    role         text        NOT NULL,
    at           timestamptz NOT NULL DEFAULT now(),
    detail       jsonb       NOT NULL DEFAULT '{}'
);
CREATE INDEX case_events_case ON shahr.case_events (case_id, id);

-- The referral to the secretariat: the fine brief (per item, the fine range) as computed then.
CREATE TABLE shahr.case_referrals (
    case_id             integer     PRIMARY KEY,
    secretariat_number  text        NOT NULL,
    fine_brief          jsonb       NOT NULL,
    referred_by         text        NOT NULL,
    referred_at         timestamptz NOT NULL DEFAULT now()
);

-- Secretariat numbers per district and Jalali year.
CREATE TABLE shahr.number_sequences (
    scope  text    NOT NULL,                       -- 'secretariat' or 'ruling'
    district smallint NOT NULL,
    year   integer NOT NULL,
    last   bigint  NOT NULL,
    PRIMARY KEY (scope, district, year)
);

-- Hearings: the commission and session date set for a case, and the defence window this
-- started. The latest row of a case is its current hearing (an interim order may set another).
CREATE TABLE shahr.hearings (
    id                bigserial   PRIMARY KEY,
    case_id           integer     NOT NULL,
    commission_id     integer     NOT NULL,
    session_on        date        NOT NULL,
    defence_opens_on  date        NOT NULL,
    defence_closes_on date        NOT NULL,
    scheduled_by      text        NOT NULL,
    scheduled_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX hearings_case ON shahr.hearings (case_id, id);

-- The owner's statements (also filed by the secretariat from paper). A late one is kept and
-- flagged.
CREATE TABLE shahr.defences (
    id         bigserial   PRIMARY KEY,
    case_id    integer     NOT NULL,
    hearing_id bigint      REFERENCES shahr.hearings (id),  -- NULL: a window the legacy system opened
    statement  text        NOT NULL,
    filed_by   text        NOT NULL,
    role       text        NOT NULL,
    by_owner   boolean     NOT NULL,
    late       boolean     NOT NULL,
    filed_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX defences_case ON shahr.defences (case_id, id);

-- A sitting of a commission and the cases on its agenda.
CREATE TABLE shahr.commission_sessions (
    id             bigserial   PRIMARY KEY,
    commission_id  integer     NOT NULL,
    stage          text        NOT NULL CHECK (stage IN ('PRIMARY', 'APPEAL')),
    opened_by      text        NOT NULL,
    opened_at      timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE shahr.session_cases (
    session_id  bigint  NOT NULL REFERENCES shahr.commission_sessions (id),
    case_id     integer NOT NULL,
    PRIMARY KEY (session_id, case_id)
);
CREATE INDEX session_cases_case ON shahr.session_cases (case_id);

-- Drafts of a ruling in session. A newer draft of the same case in the same session replaces
-- the older one (its signatures no longer count); the issued one points at its record.
CREATE TABLE shahr.ruling_drafts (
    id                bigserial   PRIMARY KEY,
    session_id        bigint      NOT NULL REFERENCES shahr.commission_sessions (id),
    case_id           integer     NOT NULL,
    content           jsonb       NOT NULL,
    content_hash      text        NOT NULL,
    drafted_by        text        NOT NULL,
    drafted_at        timestamptz NOT NULL DEFAULT now(),
    replaced_at       timestamptz,
    issued_ruling_id  bigint      REFERENCES shahr.issued_rulings (id)
);
CREATE INDEX ruling_drafts_case ON shahr.ruling_drafts (case_id, id);

-- Each voting member's signature on a draft, bound to the draft's content hash.
CREATE TABLE shahr.ruling_signatures (
    draft_id      bigint      NOT NULL REFERENCES shahr.ruling_drafts (id),
    member_id     integer     NOT NULL,            -- tbl_ozv_commission.id_ozv
    national_id   text        NOT NULL,
    seat          text        NOT NULL,
    content_hash  text        NOT NULL,
    signed_by     text        NOT NULL,
    signed_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (draft_id, seat)
);
CREATE INDEX ruling_signatures_national_id ON shahr.ruling_signatures (national_id);

-- Which draft an issued record came from.
ALTER TABLE shahr.issued_rulings ADD COLUMN draft_id bigint UNIQUE REFERENCES shahr.ruling_drafts (id);
