-- Counts the imports that changed the catalogue: nodes ask for it every few seconds and, when it
-- moved, load the tenant directory again and drop their cached catalogue pages (issue 13).
CREATE TABLE catalogue_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO catalogue_version (id, version) VALUES (1, 0);
