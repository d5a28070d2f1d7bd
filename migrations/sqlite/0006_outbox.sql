-- The outbox becomes the one queue the worker works: deliveries of cases to the authority's backend
-- and every mail the portal sends. Destinations come from the tenants' files.

-- Destinations by name (JSON object, secrets only as names of environment variables).
ALTER TABLE tenant ADD COLUMN destinations TEXT NOT NULL DEFAULT '{}';
-- The service's destination, a name among its tenant's destinations.
ALTER TABLE service ADD COLUMN destination TEXT;
-- Import every tenant again at the next start so destinations are read.
UPDATE tenant SET content_hash = '';

-- When the backend accepted the case, and the reference it gave (e.g. an OZG-Cloud vorgangNummer).
ALTER TABLE cases ADD COLUMN delivered_at TEXT;
ALTER TABLE cases ADD COLUMN authority_reference TEXT;

-- One row per job: 'delivery' hands `case_id` to `destination`; 'mail' sends the mail in `payload`.
-- `attempt` counts attempts started (a claim counts one). A worker holds a job until `lease_until`;
-- `claim` says which claim, so a late worker whose lease ran out cannot overwrite a newer claim's outcome.
-- SQLite cannot drop a NOT NULL, so the table is built anew.
ALTER TABLE outbox RENAME TO outbox_old;
CREATE TABLE outbox (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    case_id TEXT REFERENCES cases (id),
    destination TEXT,
    attempt INTEGER NOT NULL,
    next_attempt_at TEXT NOT NULL,
    lease_until TEXT,
    last_error TEXT,
    done_at TEXT,
    created_at TEXT NOT NULL,
    payload TEXT,
    claim TEXT,
    failed_at TEXT,
    UNIQUE (case_id, destination)
);
INSERT INTO outbox (id, kind, case_id, destination, attempt, next_attempt_at, lease_until, last_error, done_at, created_at)
    SELECT id, 'delivery', case_id, destination, attempt, next_attempt_at, lease_until, last_error, delivered_at, created_at
    FROM outbox_old;
DROP TABLE outbox_old;
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE done_at IS NULL AND failed_at IS NULL;
CREATE INDEX outbox_case ON outbox (case_id);
