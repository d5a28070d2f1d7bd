-- How many messages to the citizen are not read yet, kept with the account so that the header of
-- every page shows it from the session's query, without a count: raised in the transaction that
-- adds a message, lowered in the one that records its first reading.
ALTER TABLE account ADD COLUMN unread_messages INTEGER NOT NULL DEFAULT 0;
