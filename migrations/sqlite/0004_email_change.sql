-- A change of e-mail address waits for the link sent to the new address.
ALTER TABLE account_token ADD COLUMN new_email TEXT;
