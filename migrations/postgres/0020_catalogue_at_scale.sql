-- The catalogue at the size of Germany's municipalities (issue 13).
-- Services of a retired tenant are retired with it, so that lists need not join the tenant.
UPDATE service SET retired_at = (SELECT t.retired_at FROM tenant t WHERE t.id = service.tenant_id)
WHERE retired_at IS NULL AND tenant_id IN (SELECT id FROM tenant WHERE retired_at IS NOT NULL);
-- Lists by name, all services or one topic's, read in order and stopped at the page's end instead
-- of sorting every service.
DROP INDEX service_topic;
CREATE INDEX service_by_name ON service (name_de, tenant_id) WHERE retired_at IS NULL;
CREATE INDEX service_by_topic ON service (topic, name_de, tenant_id) WHERE retired_at IS NULL;
