-- Where a delivery in several steps stands (FIT-Connect: the submission created, sent, awaiting the
-- authority's answer), so an attempt after a crash continues the same submission.
ALTER TABLE outbox ADD COLUMN progress TEXT;
