-- A one-time password must be replaced at the next login, and a TOTP code
-- may be used only once: the last accepted 30-second step is remembered.
ALTER TABLE users ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE users ADD COLUMN totp_last_step BIGINT;
