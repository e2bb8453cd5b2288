-- A paid payment's receipt is public at /receipts/{receipt_code}: an unguessable code printed
-- (and QR-coded) on the receipt, so anyone holding it can check it with the municipality.
ALTER TABLE shahr.payments ADD COLUMN receipt_code text UNIQUE;
