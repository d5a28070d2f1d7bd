-- Bearer tokens of the backend API, one tenant each; only the SHA-256 of a token is kept.
CREATE TABLE api_token (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenant (id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ
);
CREATE INDEX api_token_tenant ON api_token (tenant_id, created_at);
