-- Legal entities are served through their legal id (the judicial e-notice system has
-- accounts for legal persons too).
ALTER TABLE shahr.deliveries ADD COLUMN receiver_legal_id text;
