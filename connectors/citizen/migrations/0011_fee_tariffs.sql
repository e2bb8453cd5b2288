-- The city's yearly tariff of urban-planning fees (ta'refeh-ye avarez), as data: per service,
-- Jalali year, district and land use (NULL: every one) and land-area band, a fixed part and a
-- part per m². The row that fits a request's parcel most closely sets its fee when it reaches
-- FEE_PAYABLE; without one, the service's own fee applies. The rows below are the demo's; a
-- city loads the tariff its council approved.
CREATE TABLE shahr.fee_tariffs (
    id           bigserial PRIMARY KEY,
    service_code text      NOT NULL REFERENCES shahr.services (code),
    year         integer   NOT NULL CHECK (year BETWEEN 1300 AND 1600),
    district     smallint  CHECK (district BETWEEN 1 AND 99),
    land_use     text      CHECK (land_use IN ('RESIDENTIAL', 'COMMERCIAL', 'OFFICE', 'INDUSTRIAL',
                                               'EDUCATIONAL', 'GREEN_SPACE', 'MIXED')),
    area_from    bigint    NOT NULL DEFAULT 0 CHECK (area_from >= 0),      -- hundredths of m²
    area_to      bigint    CHECK (area_to IS NULL OR area_to > area_from), -- exclusive
    fixed_rials  bigint    NOT NULL CHECK (fixed_rials >= 0),
    per_m2_rials bigint    NOT NULL CHECK (per_m2_rials >= 0)
);
CREATE INDEX fee_tariffs_service_year ON shahr.fee_tariffs (service_code, year);

INSERT INTO shahr.fee_tariffs (service_code, year, district, land_use, area_from, area_to, fixed_rials, per_m2_rials)
SELECT 'building_permit_new', y, NULL, u, f, t, fx, pm
FROM (VALUES (1405), (1406)) AS years (y),
     (VALUES ('RESIDENTIAL', 0, 20000, 2000000, 150000),
             ('RESIDENTIAL', 20000, NULL, 2000000, 180000),
             ('COMMERCIAL', 0, NULL, 5000000, 400000),
             ('OFFICE', 0, NULL, 4000000, 300000),
             ('MIXED', 0, NULL, 4000000, 300000)) AS rows (u, f, t, fx, pm)
WHERE EXISTS (SELECT 1 FROM shahr.services WHERE code = 'building_permit_new');
