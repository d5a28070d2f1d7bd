-- At most one payment of a draft is being created or paid at a time: two "bezahlen" at once (a
-- double click, two tabs) cannot both create a transaction at the provider.
CREATE UNIQUE INDEX payment_open_per_draft ON payment (draft_id) WHERE status IN ('NEW', 'INITIAL');
