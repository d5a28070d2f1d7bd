-- The tenant's ePayment provider (JSON of its [payment] settings; secrets only as names of environment
-- variables). NULL: the tenant takes no fees online.
ALTER TABLE tenant ADD COLUMN payment JSONB;
-- Import every tenant again at the next start so the settings are read.
UPDATE tenant SET content_hash = '';
