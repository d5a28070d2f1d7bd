-- The application forms are kept in the database (issue 13): a node reads a form when a citizen first
-- opens it, instead of holding every tenant's form in memory. Each distinct text is kept once, named
-- by its hash, so that thousands of municipalities with the same form share one row.
CREATE TABLE form (
    hash TEXT PRIMARY KEY,
    format TEXT NOT NULL CHECK (format IN ('toml', 'json')),
    source TEXT NOT NULL,
    -- The most name-value pairs a post of one of its steps holds: the bound for a post whose form is
    -- not known yet (sent after the session ended).
    most_inputs INTEGER NOT NULL
);
-- Active services only: a retired service lets go of its form, so unused forms can be removed.
ALTER TABLE service ADD COLUMN form_hash TEXT REFERENCES form (hash);
CREATE INDEX service_by_form ON service (form_hash) WHERE form_hash IS NOT NULL;
-- Tenants imported before have no forms here yet: the next import writes each of them again.
UPDATE tenant SET content_hash = '';
