-- The backend API lists a tenant's cases in the order they came, optionally of one status, paged by
-- (submitted_at, id): each page is a range scan of one of these.
CREATE INDEX cases_tenant_submitted ON cases (tenant_id, submitted_at, id);
CREATE INDEX cases_tenant_status ON cases (tenant_id, status, submitted_at, id);
