-- The outbox becomes the one queue the worker works: deliveries of cases to the authority's backend
-- and every mail the portal sends. Destinations come from the tenants' files.

-- Destinations by name (JSON object, secrets only as names of environment variables).
ALTER TABLE tenant ADD COLUMN destinations JSONB NOT NULL DEFAULT '{}';
-- The service's destination, a name among its tenant's destinations.
ALTER TABLE service ADD COLUMN destination TEXT;
-- Import every tenant again at the next start so destinations are read.
UPDATE tenant SET content_hash = '';

-- When the backend accepted the case, and the reference it gave (e.g. an OZG-Cloud vorgangNummer).
ALTER TABLE cases ADD COLUMN delivered_at TIMESTAMPTZ;
ALTER TABLE cases ADD COLUMN authority_reference TEXT;

-- One row per job: 'delivery' hands `case_id` to `destination`; 'mail' sends the mail in `payload`.
-- `attempt` counts attempts started (a claim counts one). A worker holds a job until `lease_until`;
-- `claim` says which claim, so a late worker whose lease ran out cannot overwrite a newer claim's outcome.
ALTER TABLE outbox ADD COLUMN kind TEXT NOT NULL DEFAULT 'delivery';
ALTER TABLE outbox ALTER COLUMN kind DROP DEFAULT;
ALTER TABLE outbox ALTER COLUMN case_id DROP NOT NULL;
ALTER TABLE outbox ALTER COLUMN destination DROP NOT NULL;
ALTER TABLE outbox ADD COLUMN payload JSONB;
ALTER TABLE outbox ADD COLUMN claim TEXT;
ALTER TABLE outbox RENAME COLUMN delivered_at TO done_at;
ALTER TABLE outbox ADD COLUMN failed_at TIMESTAMPTZ;
DROP INDEX outbox_due;
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE done_at IS NULL AND failed_at IS NULL;
CREATE INDEX outbox_case ON outbox (case_id);
