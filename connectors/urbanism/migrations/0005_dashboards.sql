-- Jalali dates in SQL, for the dashboards' aggregates over the legacy tables' text dates.

-- The Gregorian date of 1 Farvardin of each Jalali year 1300-1500, from the calendar the
-- gateway uses everywhere else (a unit test checks this list against it).
CREATE FUNCTION shahr.jalali_year_start(y integer) RETURNS date
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT ('{1921-03-21,1922-03-22,1923-03-22,1924-03-21,1925-03-21,1926-03-22,1927-03-22,1928-03-21,1929-03-21,1930-03-21,1931-03-22,1932-03-21,1933-03-21,1934-03-21,1935-03-22,1936-03-21,1937-03-21,1938-03-21,1939-03-22,1940-03-21,1941-03-21,1942-03-21,1943-03-22,1944-03-21,1945-03-21,1946-03-21,1947-03-22,1948-03-21,1949-03-21,1950-03-21,1951-03-22,1952-03-21,1953-03-21,1954-03-21,1955-03-22,1956-03-21,1957-03-21,1958-03-21,1959-03-22,1960-03-21,1961-03-21,1962-03-21,1963-03-21,1964-03-21,1965-03-21,1966-03-21,1967-03-21,1968-03-21,1969-03-21,1970-03-21,1971-03-21,1972-03-21,1973-03-21,1974-03-21,1975-03-21,1976-03-21,1977-03-21,1978-03-21,1979-03-21,1980-03-21,1981-03-21,1982-03-21,1983-03-21,1984-03-21,1985-03-21,1986-03-21,1987-03-21,1988-03-21,1989-03-21,1990-03-21,1991-03-21,1992-03-21,1993-03-21,1994-03-21,1995-03-21,1996-03-20,1997-03-21,1998-03-21,1999-03-21,2000-03-20,2001-03-21,2002-03-21,2003-03-21,2004-03-20,2005-03-21,2006-03-21,2007-03-21,2008-03-20,2009-03-21,2010-03-21,2011-03-21,2012-03-20,2013-03-21,2014-03-21,2015-03-21,2016-03-20,2017-03-21,2018-03-21,2019-03-21,2020-03-20,2021-03-21,2022-03-21,2023-03-21,2024-03-20,2025-03-21,2026-03-21,2027-03-21,2028-03-20,2029-03-20,2030-03-21,2031-03-21,2032-03-20,2033-03-20,2034-03-21,2035-03-21,2036-03-20,2037-03-20,2038-03-21,2039-03-21,2040-03-20,2041-03-20,2042-03-21,2043-03-21,2044-03-20,2045-03-20,2046-03-21,2047-03-21,2048-03-20,2049-03-20,2050-03-21,2051-03-21,2052-03-20,2053-03-20,2054-03-21,2055-03-21,2056-03-20,2057-03-20,2058-03-21,2059-03-21,2060-03-20,2061-03-20,2062-03-20,2063-03-21,2064-03-20,2065-03-20,2066-03-20,2067-03-21,2068-03-20,2069-03-20,2070-03-20,2071-03-21,2072-03-20,2073-03-20,2074-03-20,2075-03-21,2076-03-20,2077-03-20,2078-03-20,2079-03-21,2080-03-20,2081-03-20,2082-03-20,2083-03-21,2084-03-20,2085-03-20,2086-03-20,2087-03-21,2088-03-20,2089-03-20,2090-03-20,2091-03-21,2092-03-20,2093-03-20,2094-03-20,2095-03-20,2096-03-20,2097-03-20,2098-03-20,2099-03-20,2100-03-21,2101-03-21,2102-03-21,2103-03-21,2104-03-21,2105-03-21,2106-03-21,2107-03-21,2108-03-21,2109-03-21,2110-03-21,2111-03-21,2112-03-21,2113-03-21,2114-03-21,2115-03-21,2116-03-21,2117-03-21,2118-03-21,2119-03-21,2120-03-21,2121-03-21}'::date[])[y - 1299] $$;

-- The day any legacy spelling of a Jalali date names ('۱۴۰۵/۰۹/۰۷', '1405-9-7', ' 1405/09/07'),
-- or NULL when it names none (month 13, Esfand 30 in a common year, out of range, not a date).
CREATE FUNCTION shahr.jalali_spelling_to_date(t text) RETURNS date
    LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
    AS $$
DECLARE
    y integer;
    m integer;
    d integer;
    start date;
    month_days integer;
BEGIN
    -- `~` and split_part, not regexp_match: capture groups cost ~30 times as much.
    t := replace(btrim(translate(t, '۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩', '01234567890123456789')), '-', '/');
    IF t !~ '^[0-9]{4}/[0-9]{1,2}/[0-9]{1,2}$' THEN
        RETURN NULL;
    END IF;
    y := split_part(t, '/', 1)::integer;
    m := split_part(t, '/', 2)::integer;
    d := split_part(t, '/', 3)::integer;
    IF y < 1300 OR y > 1499 OR m < 1 OR m > 12 OR d < 1 THEN
        RETURN NULL;
    END IF;
    start := shahr.jalali_year_start(y);
    month_days := CASE WHEN m <= 6 THEN 31 WHEN m <= 11 THEN 30
                       ELSE shahr.jalali_year_start(y + 1) - start - 336 END;
    IF d > month_days THEN
        RETURN NULL;
    END IF;
    RETURN start + CASE WHEN m <= 6 THEN (m - 1) * 31 ELSE 186 + (m - 7) * 30 END + d - 1;
END
$$;

-- The day a legacy Jalali text names, or NULL. The common spelling (`1405/09/07`, ASCII digits)
-- is read by plain arithmetic that the planner inlines into the query; any other goes through
-- shahr.jalali_spelling_to_date. No regular expressions: they cost several microseconds a row.
CREATE FUNCTION shahr.jalali_to_date(t text) RETURNS date
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
SELECT CASE
    WHEN octet_length(t) = 10 AND substr(t, 5, 1) = '/' AND substr(t, 8, 1) = '/'
         AND translate(t, '0123456789', '') = '//' THEN
        CASE WHEN substr(t, 6, 2) BETWEEN '01' AND '12' AND substr(t, 9, 2) >= '01'
                  AND substr(t, 9, 2)::integer <= CASE
                      WHEN substr(t, 6, 2) <= '06' THEN 31
                      WHEN substr(t, 6, 2) <= '11' THEN 30
                      ELSE shahr.jalali_year_start(substr(t, 1, 4)::integer + 1)
                           - shahr.jalali_year_start(substr(t, 1, 4)::integer) - 336 END
             THEN shahr.jalali_year_start(substr(t, 1, 4)::integer)
                  + CASE WHEN substr(t, 6, 2) <= '06' THEN (substr(t, 6, 2)::integer - 1) * 31
                         ELSE 186 + (substr(t, 6, 2)::integer - 7) * 30 END
                  + substr(t, 9, 2)::integer - 1
        END
    ELSE shahr.jalali_spelling_to_date(t)
END
$$;

-- A legacy code or number stored as text ('05', '۵', ' 5'), or NULL when it is none.
CREATE FUNCTION shahr.legacy_int_spelling(t text) RETURNS integer
    LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
    AS $$
BEGIN
    t := btrim(translate(t, '۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩', '01234567890123456789'));
    IF t ~ '^[0-9]{1,9}$' THEN
        RETURN t::integer;
    END IF;
    RETURN NULL;
END
$$;

-- The same, with ASCII digits read inline.
CREATE FUNCTION shahr.legacy_int(t text) RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
SELECT CASE
    WHEN octet_length(t) BETWEEN 1 AND 9 AND translate(t, '0123456789', '') = '' THEN t::integer
    ELSE shahr.legacy_int_spelling(t)
END
$$;

-- The Jalali month ('1405/09') of a day. Written without a FROM so that the planner inlines it.
CREATE FUNCTION shahr.jalali_month(d date) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$
SELECT to_char((extract(year FROM d)::integer - 621 - (d < shahr.jalali_year_start(extract(year FROM d)::integer - 621))::integer), 'FM0000') || '/' || to_char(
    CASE WHEN d - shahr.jalali_year_start((extract(year FROM d)::integer - 621 - (d < shahr.jalali_year_start(extract(year FROM d)::integer - 621))::integer)) < 186
         THEN (d - shahr.jalali_year_start((extract(year FROM d)::integer - 621 - (d < shahr.jalali_year_start(extract(year FROM d)::integer - 621))::integer))) / 31 + 1
         ELSE (d - shahr.jalali_year_start((extract(year FROM d)::integer - 621 - (d < shahr.jalali_year_start(extract(year FROM d)::integer - 621))::integer)) - 186) / 30 + 7 END, 'FM00')
$$;

-- Rulings issued through the gateway, by the record's issue time (the dashboards' "today").
CREATE INDEX issued_rulings_issued_at ON shahr.issued_rulings (issued_at);
-- Service of rulings issued through the gateway: the first NOTIFIED state of each record.
CREATE INDEX ruling_states_state ON shahr.ruling_states (state, issued_ruling_id, at);
-- From an issued record back to its draft and session.
CREATE INDEX ruling_drafts_issued ON shahr.ruling_drafts (issued_ruling_id) WHERE issued_ruling_id IS NOT NULL;

-- The dashboards' read model: one row per legacy ruling with its codes and dates read, the
-- gaps worked out and its objections and payments counted. Reading the legacy text on every
-- request costs far more than the dashboards may take; the gateway refreshes this table in the
-- background (and soon after ruling events), changing only rows that differ.
CREATE TABLE shahr.ruling_facts (
    ruling_id            integer     PRIMARY KEY,        -- tbl_ray.id_ray
    case_id              integer     NOT NULL,
    commission_id        integer,
    district             smallint,
    kind                 smallint,                       -- legacy noe_ray, read
    state                smallint,                       -- legacy vaziat, read
    stage                smallint,                       -- legacy marhaleh_ray, read
    fine_rials           bigint,
    ruled_on             date,
    ruled_month          text,                           -- Jalali '1405/09'
    session_to_issue_s   float8,                         -- seconds
    issue_to_service_s   float8,                         -- seconds
    served               boolean     NOT NULL,
    appeal_outcome       text,                           -- CONFIRM, OVERTURN, MODIFY (appeals)
    objections           integer     NOT NULL,
    objections_in_time   integer     NOT NULL,
    collected_rials      bigint      NOT NULL
);
CREATE INDEX ruling_facts_ruled_on ON shahr.ruling_facts (ruled_on);
CREATE INDEX ruling_facts_district ON shahr.ruling_facts (district, ruled_on);
CREATE INDEX ruling_facts_commission ON shahr.ruling_facts (commission_id, ruled_on);

-- When the read model was last brought up to date.
CREATE TABLE shahr.ruling_facts_refreshed (
    only_row      boolean     PRIMARY KEY DEFAULT true CHECK (only_row),
    refreshed_at  timestamptz NOT NULL,
    took_ms       integer     NOT NULL
);
