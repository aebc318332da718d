-- Dispositions (referrals of an incoming letter down the hierarchy), the
-- link from an incoming letter to the document it came from when it was
-- delivered inside the system, and the search index over every letter.

ALTER TABLE incoming_letters ADD COLUMN source_document_id UUID REFERENCES documents(id);
CREATE UNIQUE INDEX incoming_letters_source
    ON incoming_letters(source_document_id, addressee_position_id)
    WHERE source_document_id IS NOT NULL;

CREATE TABLE dispositions (
    id UUID PRIMARY KEY NOT NULL,
    incoming_id UUID NOT NULL REFERENCES incoming_letters(id),
    parent_id UUID REFERENCES dispositions(id),
    from_position_id UUID NOT NULL REFERENCES positions(id),
    from_employee_id UUID NOT NULL REFERENCES employees(id),
    to_position_id UUID NOT NULL REFERENCES positions(id),
    -- JSON array of instruction labels.
    instructions TEXT NOT NULL,
    note TEXT NOT NULL,
    -- WIB date 'YYYY-MM-DD'.
    deadline TEXT,
    urgency TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    read_at BIGINT,
    read_by UUID REFERENCES employees(id),
    started_at BIGINT,
    done_at BIGINT,
    done_by UUID REFERENCES employees(id),
    report TEXT,
    cancelled_at BIGINT
);
CREATE INDEX dispositions_letter ON dispositions(incoming_id, created_at);
CREATE INDEX dispositions_to ON dispositions(to_position_id, status);
CREATE INDEX dispositions_from ON dispositions(from_position_id, status);

-- Files attached to a disposition's report.
CREATE TABLE disposition_files (
    disposition_id UUID NOT NULL REFERENCES dispositions(id),
    seq BIGINT NOT NULL,
    name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    added_at BIGINT NOT NULL,
    PRIMARY KEY (disposition_id, seq)
);

-- The text layer of stored PDF files, for search.
CREATE TABLE file_texts (
    sha256 TEXT PRIMARY KEY NOT NULL,
    text TEXT NOT NULL
);

-- One row per searchable letter: an outgoing document or an incoming
-- letter. `tokens` holds the folded words of every searchable field,
-- separated by single spaces, so SQLite and PostgreSQL see the same words.
CREATE TABLE search_entries (
    seq BIGSERIAL PRIMARY KEY,
    entry_id UUID NOT NULL UNIQUE,
    source TEXT NOT NULL,
    kind TEXT NOT NULL,
    organization_id UUID NOT NULL REFERENCES organizations(id),
    classification TEXT NOT NULL,
    security TEXT NOT NULL,
    status TEXT NOT NULL,
    letter_date TEXT NOT NULL,
    number TEXT NOT NULL,
    agenda_no BIGINT,
    subject TEXT NOT NULL,
    party TEXT NOT NULL,
    body TEXT NOT NULL,
    extra TEXT NOT NULL,
    tokens TEXT NOT NULL,
    vector TSVECTOR GENERATED ALWAYS AS (to_tsvector('simple', tokens)) STORED
);
CREATE INDEX search_entries_date ON search_entries(letter_date);
CREATE INDEX search_entries_org ON search_entries(organization_id, letter_date);

CREATE INDEX search_entries_vector ON search_entries USING GIN (vector);

-- Register exports built in the background, with their progress, so any
-- server can report it and hand out the finished file.
CREATE TABLE export_jobs (
    id UUID PRIMARY KEY NOT NULL,
    user_id UUID NOT NULL REFERENCES users(id),
    organization_id UUID NOT NULL REFERENCES organizations(id),
    register TEXT NOT NULL,
    format TEXT NOT NULL,
    state TEXT NOT NULL,
    total BIGINT NOT NULL,
    done BIGINT NOT NULL,
    sha256 TEXT,
    file_name TEXT,
    error TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX export_jobs_user ON export_jobs(user_id, created_at);
