-- The Postfach: messages and decisions (Bescheide) of the authority to the citizen about a case, and
-- the citizen's replies. account_id is the case's citizen, kept here so that a Postfach is one range
-- of an index however many cases there are; it is emptied when the account is deleted (the case and
-- its messages stay with the authority).
CREATE TABLE message (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES cases (id),
    account_id TEXT REFERENCES account (id) ON DELETE SET NULL,
    -- 'to_citizen' or 'from_citizen'.
    direction TEXT NOT NULL,
    -- 'message' or 'decision' to the citizen, 'reply' from the citizen.
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    -- When the citizen could first see it: the legal deadlines of a decision run from it.
    made_available_at TIMESTAMPTZ NOT NULL,
    first_read_at TIMESTAMPTZ
);
CREATE INDEX message_case ON message (case_id, made_available_at, id);
CREATE INDEX message_account ON message (account_id, made_available_at, id);
CREATE INDEX message_unread ON message (account_id) WHERE first_read_at IS NULL AND direction = 'to_citizen';

-- The PDF files of a message, in the attachment store like evidence files (scanned the same way).
CREATE TABLE message_file (
    id TEXT PRIMARY KEY,
    message_id TEXT NOT NULL REFERENCES message (id),
    storage_key TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    file_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    scanned_by TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX message_file_message ON message_file (message_id);
