-- Logins through OpenID Connect providers (BundID / eID style) and the citizen's Stammdaten.
CREATE TABLE identity (
    issuer TEXT NOT NULL,
    subject TEXT NOT NULL,
    provider_id TEXT NOT NULL,
    account_id TEXT NOT NULL REFERENCES account (id) ON DELETE CASCADE,
    trust_level TEXT NOT NULL,
    linked_at TEXT NOT NULL,
    last_login_at TEXT NOT NULL,
    PRIMARY KEY (issuer, subject)
);
CREATE INDEX identity_account ON identity (account_id);

-- A login started at a provider: state, nonce and PKCE verifier until the citizen comes back, bound
-- to the browser session that started it. Used once, then deleted.
CREATE TABLE login_flow (
    state_hash TEXT PRIMARY KEY,
    session_hash TEXT NOT NULL,
    provider_id TEXT NOT NULL,
    nonce TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    return_to TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

-- Stammdaten; confirmed_by names the provider whose claims filled them (then not editable).
CREATE TABLE profile (
    account_id TEXT PRIMARY KEY REFERENCES account (id) ON DELETE CASCADE,
    given_name TEXT,
    family_name TEXT,
    birthdate TEXT,
    street_address TEXT,
    postal_code TEXT,
    locality TEXT,
    country TEXT,
    confirmed_by TEXT,
    updated_at TEXT NOT NULL
);
