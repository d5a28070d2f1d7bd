-- Servicekonto: accounts, server-side sessions, single-use tokens, rate-limit attempts, access log.
CREATE TABLE account (
    id TEXT PRIMARY KEY,
    email TEXT UNIQUE,
    password_hash TEXT,
    email_verified_at TEXT,
    created_at TEXT NOT NULL
);

-- The cookie holds a random id; only its SHA-256 is stored, so a database leak yields no sessions.
CREATE TABLE session (
    id_hash TEXT PRIMARY KEY,
    account_id TEXT REFERENCES account (id) ON DELETE CASCADE,
    trust_level TEXT,
    csrf_token TEXT NOT NULL,
    device TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX session_account ON session (account_id);
CREATE INDEX session_expires ON session (expires_at);

-- E-mail verification and password reset links: stored hashed, single-use, expiring.
CREATE TABLE account_token (
    token_hash TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES account (id) ON DELETE CASCADE,
    purpose TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT
);

-- Attempts counted for rate limits; the key is a hash of the IP address or e-mail address.
CREATE TABLE auth_attempt (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    key_hash TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX auth_attempt_lookup ON auth_attempt (kind, key_hash, at);

-- What the citizen sees under "Zugriffe auf Ihr Konto".
CREATE TABLE access_log (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES account (id) ON DELETE CASCADE,
    event TEXT NOT NULL,
    device TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX access_log_account ON access_log (account_id, at);
