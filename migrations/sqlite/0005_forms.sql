-- Forms: drafts that survive, submitted cases with their delivery outbox, steps parked while a
-- session had expired.

-- A citizen's unfinished application: answers as given, bound to account, tenant, service and the
-- form version it was started with.
CREATE TABLE draft (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES account (id) ON DELETE CASCADE,
    tenant_id TEXT NOT NULL REFERENCES tenant (id),
    service_slug TEXT NOT NULL,
    form_version INTEGER NOT NULL,
    answers TEXT NOT NULL,
    -- Steps the citizen has saved at least once (JSON list of step ids), for the task list.
    visited TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    reminded_at TEXT
);
CREATE INDEX draft_account ON draft (account_id, updated_at);
CREATE INDEX draft_expires ON draft (expires_at);

-- A submitted application (Vorgang). The draft id makes submitting idempotent: one draft, one case.
CREATE TABLE cases (
    id TEXT PRIMARY KEY,
    reference TEXT NOT NULL,
    tenant_id TEXT NOT NULL REFERENCES tenant (id),
    -- Kept for the authority when the citizen deletes the account.
    account_id TEXT REFERENCES account (id) ON DELETE SET NULL,
    draft_id TEXT NOT NULL UNIQUE,
    service_slug TEXT NOT NULL,
    form_version INTEGER NOT NULL,
    answers TEXT NOT NULL,
    -- The answers as the citizen saw them on check-answers (labels and shown values), for the receipt.
    summary TEXT NOT NULL,
    trust_level TEXT NOT NULL,
    fee_cents INTEGER,
    status TEXT NOT NULL,
    submitted_at TEXT NOT NULL,
    UNIQUE (tenant_id, reference)
);
CREATE INDEX cases_account ON cases (account_id, submitted_at);

-- Deliveries to the authority's backend, written in the submit transaction, sent by the worker.
CREATE TABLE outbox (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES cases (id),
    destination TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    next_attempt_at TEXT NOT NULL,
    lease_until TEXT,
    last_error TEXT,
    delivered_at TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (case_id, destination)
);
CREATE INDEX outbox_due ON outbox (delivered_at, next_attempt_at);

-- A step posted after the session had expired: kept until the citizen logs in again and returns.
CREATE TABLE parked_step (
    token_hash TEXT PRIMARY KEY,
    draft_id TEXT NOT NULL REFERENCES draft (id) ON DELETE CASCADE,
    step_id TEXT NOT NULL,
    posted TEXT NOT NULL,
    created_at TEXT NOT NULL
);
