-- What happened to a case after it was sent, in order; rows are only ever added. `kind` 'status' is
-- a status set by the authority's backend (`status`, with its `note` for the citizen).
CREATE TABLE case_event (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES cases (id),
    kind TEXT NOT NULL,
    status TEXT,
    note TEXT,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX case_event_case ON case_event (case_id, created_at, id);

-- The first answer to each write of the backend API by its Idempotency-Key, per tenant: a repeat
-- gets it again and changes nothing; the same key with another request is refused.
CREATE TABLE api_answer (
    tenant_id TEXT NOT NULL REFERENCES tenant (id),
    idempotency_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status INTEGER NOT NULL,
    body TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, idempotency_key)
);
CREATE INDEX api_answer_created ON api_answer (created_at);
