-- Directory, accounts and reference data. Timestamps are Unix epoch
-- milliseconds (UTC) on both backends so that comparisons behave alike.

CREATE TABLE organizations (
    id UUID PRIMARY KEY NOT NULL,
    code TEXT UNIQUE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    parent_id UUID REFERENCES organizations(id),
    address TEXT,
    is_demo BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX organizations_parent ON organizations(parent_id);

CREATE TABLE employees (
    id UUID PRIMARY KEY NOT NULL,
    identifier_kind TEXT NOT NULL,
    identifier TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    name_folded TEXT NOT NULL,
    rank TEXT,
    email TEXT,
    phone TEXT,
    organization_id UUID NOT NULL REFERENCES organizations(id),
    is_demo BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX employees_org ON employees(organization_id);
CREATE INDEX employees_name ON employees(name_folded);

CREATE TABLE positions (
    id UUID PRIMARY KEY NOT NULL,
    organization_id UUID NOT NULL REFERENCES organizations(id),
    name TEXT NOT NULL,
    name_folded TEXT NOT NULL,
    parent_id UUID REFERENCES positions(id),
    holder_id UUID REFERENCES employees(id),
    is_demo BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX positions_org ON positions(organization_id);
CREATE INDEX positions_parent ON positions(parent_id);
-- One definitive holder per position, and one definitive post per person.
CREATE UNIQUE INDEX positions_holder ON positions(holder_id) WHERE holder_id IS NOT NULL;

CREATE TABLE users (
    id UUID PRIMARY KEY NOT NULL,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    employee_id UUID REFERENCES employees(id),
    locale TEXT NOT NULL DEFAULT 'id',
    totp_secret TEXT,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until BIGINT,
    is_demo BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL,
    password_changed_at BIGINT NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY NOT NULL,
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
    id UUID PRIMARY KEY NOT NULL,
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at BIGINT
);

CREATE TABLE login_failures (
    id BIGSERIAL PRIMARY KEY,
    client TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX login_failures_client ON login_failures(client, at);

CREATE TABLE classifications (
    code TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    name_folded TEXT NOT NULL,
    level INTEGER NOT NULL,
    parent_code TEXT,
    sort_key TEXT NOT NULL
);
CREATE INDEX classifications_sort ON classifications(sort_key);

CREATE TABLE settings (
    key TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

CREATE TABLE audit_log (
    id UUID PRIMARY KEY NOT NULL,
    at BIGINT NOT NULL,
    actor_id UUID,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log(at);
