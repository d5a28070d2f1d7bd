-- Evidence files a citizen uploaded: the file is in the attachment store under storage_key (random,
-- never derived from the name); the row says whose it is and what it is. A file belongs to a draft,
-- then, once sent, to the case. Rows go with their draft; the store's files without a row are
-- removed by housekeeping.
CREATE TABLE attachment (
    id TEXT PRIMARY KEY,
    draft_id TEXT REFERENCES draft (id) ON DELETE CASCADE,
    case_id TEXT REFERENCES cases (id),
    -- The file field of the form it answers.
    field_id TEXT NOT NULL,
    storage_key TEXT NOT NULL UNIQUE,
    -- For display only, cleaned.
    name TEXT NOT NULL,
    -- The type its content was found to be (pdf, jpeg, png).
    file_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    -- 'clamd' when scanned clean, 'off' when the portal runs without a scanner.
    scanned_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    CHECK ((draft_id IS NULL) <> (case_id IS NULL))
);
CREATE INDEX attachment_draft ON attachment (draft_id);
CREATE INDEX attachment_case ON attachment (case_id);
