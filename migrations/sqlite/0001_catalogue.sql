-- Tenants (Mandanten) and their services, imported from the catalogue files at start.
CREATE TABLE tenant (
    id TEXT PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    brand_color TEXT NOT NULL,
    logo_svg TEXT,
    profile TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    retired_at TEXT
);

CREATE TABLE tenant_host (
    host TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenant (id)
);

-- Regional keys (ARS prefixes) a tenant is responsible for.
CREATE TABLE tenant_area (
    tenant_id TEXT NOT NULL REFERENCES tenant (id),
    area_key TEXT NOT NULL,
    PRIMARY KEY (tenant_id, area_key)
);

-- Municipalities with their postcodes, as declared by the tenants, for "Wer ist zuständig?".
CREATE TABLE place (
    tenant_id TEXT NOT NULL REFERENCES tenant (id),
    ars TEXT NOT NULL,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    postcode TEXT NOT NULL,
    PRIMARY KEY (tenant_id, ars, postcode)
);
CREATE INDEX place_postcode ON place (postcode);
CREATE INDEX place_name_key ON place (name_key);

CREATE TABLE service (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenant (id),
    slug TEXT NOT NULL,
    leistungsschluessel TEXT NOT NULL,
    topic TEXT NOT NULL,
    min_trust_level TEXT NOT NULL,
    fee_cents INTEGER,
    name_de TEXT NOT NULL,
    summary_de TEXT NOT NULL,
    name_en TEXT,
    summary_en TEXT,
    keywords TEXT NOT NULL,
    details TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    retired_at TEXT,
    UNIQUE (tenant_id, slug)
);
CREATE INDEX service_topic ON service (topic);

-- Full-text index over the German word stems of each service (made by the portal, see domain::search).
CREATE VIRTUAL TABLE service_fts USING fts5 (
    service_id UNINDEXED,
    body,
    tokenize = 'unicode61 remove_diacritics 2'
);
