-- A one-time password must be replaced at the next login, and a TOTP code
-- may be used only once: the last accepted 30-second step is remembered.
ALTER TABLE users ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE users ADD COLUMN totp_last_step BIGINT;
-- Levels are read as 64-bit integers, like every integer column.
ALTER TABLE classifications ALTER COLUMN level TYPE BIGINT;
ALTER TABLE users ALTER COLUMN failed_logins TYPE BIGINT;
