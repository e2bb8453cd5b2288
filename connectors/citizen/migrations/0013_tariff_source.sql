-- Where each year's tariff comes from (the council's resolution), as `tariff import` records it.
ALTER TABLE shahr.fee_tariffs ADD COLUMN source text NOT NULL DEFAULT 'نمونه آزمایشی';
