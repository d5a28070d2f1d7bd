-- A citizen's payments, for the data export (and, later, the Postfach's case timeline).
CREATE INDEX payment_account ON payment (account_id, created_at);
