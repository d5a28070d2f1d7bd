-- "Meine Anträge" pages a citizen's cases by key (submitted_at, id), newest first: one range of
-- this index per page, however many cases the account has.
DROP INDEX cases_account;
CREATE INDEX cases_account ON cases (account_id, submitted_at, id);
