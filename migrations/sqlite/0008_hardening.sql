-- One draft per account and service: "Jetzt starten" twice, or in two tabs, continues the same one.
-- Drafts that a race made twice before this rule keep the one saved last.
DELETE FROM draft WHERE EXISTS (
    SELECT 1 FROM draft newer
    WHERE newer.account_id = draft.account_id AND newer.tenant_id = draft.tenant_id
      AND newer.service_slug = draft.service_slug
      AND (newer.updated_at > draft.updated_at OR (newer.updated_at = draft.updated_at AND newer.id > draft.id))
);
CREATE UNIQUE INDEX draft_one_per_service ON draft (account_id, tenant_id, service_slug);

-- At most one parked step per draft: a later one replaces it.
DELETE FROM parked_step WHERE EXISTS (
    SELECT 1 FROM parked_step newer
    WHERE newer.draft_id = parked_step.draft_id
      AND (newer.created_at > parked_step.created_at
           OR (newer.created_at = parked_step.created_at AND newer.token_hash > parked_step.token_hash))
);
CREATE UNIQUE INDEX parked_step_one_per_draft ON parked_step (draft_id);

-- Work that one node of several does at a time (housekeeping): the node holding an unexpired lease.
CREATE TABLE lease (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    until TEXT NOT NULL
);
