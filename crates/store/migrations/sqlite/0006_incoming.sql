-- Incoming letters (surat masuk) in each organisation's register, with
-- agenda numbers counted per organisation and year (WIB). Dates are ISO
-- 'YYYY-MM-DD' text in WIB; instants are epoch milliseconds.

CREATE TABLE agenda_counters (
    organization_id BLOB NOT NULL REFERENCES organizations(id),
    year BIGINT NOT NULL,
    last_agenda BIGINT NOT NULL,
    PRIMARY KEY (organization_id, year)
);

CREATE TABLE incoming_letters (
    id BLOB PRIMARY KEY NOT NULL,
    organization_id BLOB NOT NULL REFERENCES organizations(id),
    year BIGINT NOT NULL,
    agenda_no BIGINT NOT NULL,
    sender TEXT NOT NULL,
    sender_number TEXT NOT NULL,
    sender_date TEXT NOT NULL,
    received_on TEXT NOT NULL,
    subject TEXT NOT NULL,
    classification TEXT NOT NULL,
    security TEXT NOT NULL,
    urgency TEXT NOT NULL,
    addressee_position_id BLOB NOT NULL REFERENCES positions(id),
    registered_by BLOB NOT NULL REFERENCES employees(id),
    registered_at BIGINT NOT NULL,
    UNIQUE (organization_id, year, agenda_no)
);
CREATE INDEX incoming_letters_received ON incoming_letters(organization_id, received_on);

-- Scans of an incoming letter (PDF, PNG, JPEG), stored by SHA-256.
CREATE TABLE incoming_files (
    incoming_id BLOB NOT NULL REFERENCES incoming_letters(id),
    seq BIGINT NOT NULL,
    name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    added_at BIGINT NOT NULL,
    PRIMARY KEY (incoming_id, seq)
);
