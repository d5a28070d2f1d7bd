-- Fees paid online. A row is written before the provider is asked (its id is the requestId), so a
-- repeat never creates a second payment; it holds the application as checked, which is sent once the
-- provider confirms the payment, by the citizen's return or by the poller.
CREATE TABLE payment (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenant (id),
    account_id TEXT NOT NULL,
    draft_id TEXT NOT NULL,
    -- The case it paid for, once sent.
    case_id TEXT,
    amount_cents INTEGER NOT NULL,
    -- NEW (not yet created at the provider), INITIAL, PAYED, FAILED, CANCELED; SUPERSEDED when the
    -- citizen changed the fee before paying; MISMATCH when the provider confirmed another amount.
    status TEXT NOT NULL,
    transaction_id TEXT,
    pay_url TEXT,
    -- The provider's reference (e.g. Kassenzeichen), method and time of payment.
    reference TEXT,
    method TEXT,
    paid_at TEXT,
    application TEXT NOT NULL,
    created_at TEXT NOT NULL,
    checked_at TEXT
);
CREATE INDEX payment_draft ON payment (draft_id, created_at);
CREATE INDEX payment_open ON payment (status, created_at);
