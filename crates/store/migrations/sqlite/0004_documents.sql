-- Official documents: kinds, drafts with every saved revision, the
-- initials chain, delegations, numbering series and delivery. Dates of
-- letters and delegations are ISO 'YYYY-MM-DD' text in WIB; instants are
-- epoch milliseconds.

CREATE TABLE document_kinds (
    code TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    abbreviation TEXT NOT NULL,
    layout TEXT NOT NULL,
    signer_level TEXT NOT NULL,
    number_template TEXT NOT NULL,
    series_scope TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    sort_order INTEGER NOT NULL
);

INSERT INTO document_kinds (code, name, abbreviation, layout, signer_level, number_template, series_scope, sort_order) VALUES
    ('surat_dinas', 'Surat Dinas', 'SD', 'letter', 'agency_head', '{classification}/{serial:03}/{unit}/{month_roman}/{year}', 'organization', 1),
    ('nota_dinas', 'Nota Dinas', 'ND', 'letter', 'agency_head', '{classification}/{serial:03}/{kind}/{unit}/{year}', 'kind', 2),
    ('surat_undangan', 'Surat Undangan', 'UND', 'letter', 'agency_head', '{classification}/{serial:03}/{unit}/{month_roman}/{year}', 'organization', 3),
    ('surat_edaran', 'Surat Edaran', 'SE', 'title', 'agency_head', '{classification}/{serial:03}/{kind}/{unit}/{year}', 'kind', 4),
    ('surat_tugas', 'Surat Tugas', 'ST', 'title', 'agency_head', '{classification}/{serial:03}/{kind}/{unit}/{year}', 'kind', 5),
    ('surat_perintah', 'Surat Perintah', 'SPR', 'title', 'agency_head', '{classification}/{serial:03}/{kind}/{unit}/{year}', 'kind', 6),
    ('keputusan', 'Keputusan', 'KEP', 'title', 'regent', '{classification}/{serial:03}/{kind}/{year}', 'kind', 7),
    ('berita_acara', 'Berita Acara', 'BA', 'title', 'agency_head', '{classification}/{serial:03}/{kind}/{unit}/{year}', 'kind', 8),
    ('surat_keterangan', 'Surat Keterangan', 'SKET', 'title', 'agency_head', '{classification}/{serial:03}/{kind}/{unit}/{year}', 'kind', 9),
    ('surat_pengantar', 'Surat Pengantar', 'SPENG', 'letter', 'agency_head', '{classification}/{serial:03}/{unit}/{month_roman}/{year}', 'organization', 10),
    ('pengumuman', 'Pengumuman', 'PENG', 'title', 'agency_head', '{classification}/{serial:03}/{kind}/{unit}/{year}', 'kind', 11),
    ('laporan', 'Laporan', 'LAP', 'title', 'agency_head', '{classification}/{serial:03}/{kind}/{unit}/{year}', 'kind', 12),
    ('telaahan_staf', 'Telaahan Staf', 'TS', 'letter', 'unit_head', '{classification}/{serial:03}/{kind}/{unit}/{year}', 'kind', 13),
    ('notula', 'Notula', 'NOT', 'title', 'unit_head', '{classification}/{serial:03}/{kind}/{unit}/{year}', 'kind', 14),
    ('memo', 'Memo', 'MEMO', 'letter', 'unit_head', '{classification}/{serial:03}/{kind}/{unit}/{year}', 'kind', 15);

CREATE TABLE delegations (
    id BLOB PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    principal_id BLOB NOT NULL REFERENCES positions(id),
    delegate_position_id BLOB REFERENCES positions(id),
    delegate_employee_id BLOB REFERENCES employees(id),
    via_id BLOB REFERENCES delegations(id),
    decree_number TEXT NOT NULL,
    starts_on TEXT NOT NULL,
    ends_on TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX delegations_principal ON delegations(principal_id);
CREATE INDEX delegations_employee ON delegations(delegate_employee_id);

CREATE TABLE documents (
    id BLOB PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL REFERENCES document_kinds(code),
    state TEXT NOT NULL,
    revision BIGINT NOT NULL,
    author_id BLOB NOT NULL REFERENCES employees(id),
    author_position_id BLOB REFERENCES positions(id),
    organization_id BLOB NOT NULL REFERENCES organizations(id),
    classification TEXT NOT NULL REFERENCES classifications(code),
    security TEXT NOT NULL,
    urgency TEXT NOT NULL,
    subject TEXT NOT NULL,
    attachment_count INTEGER NOT NULL,
    body TEXT NOT NULL,
    addressees TEXT NOT NULL,
    copies TEXT NOT NULL,
    reviewers TEXT NOT NULL,
    coordinators TEXT NOT NULL,
    required_signer_id BLOB NOT NULL REFERENCES positions(id),
    signer_position_id BLOB NOT NULL REFERENCES positions(id),
    -- The position whose initial the hierarchical chain waits for.
    waiting_position_id BLOB REFERENCES positions(id),
    signed_by BLOB REFERENCES employees(id),
    signature_block TEXT,
    signed_at BIGINT,
    letter_date TEXT,
    number TEXT,
    is_demo BOOLEAN NOT NULL DEFAULT FALSE,
    -- Set by the draft form, so an autosave and a click on Save that race
    -- each other make one draft, not two.
    client_key TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX documents_client_key ON documents(author_id, client_key) WHERE client_key IS NOT NULL;
CREATE INDEX documents_author ON documents(author_id, state, updated_at);
CREATE INDEX documents_waiting ON documents(waiting_position_id, state);
CREATE INDEX documents_signer ON documents(signer_position_id, state);
CREATE INDEX documents_signed_by ON documents(signed_by, state);

CREATE TABLE document_revisions (
    document_id BLOB NOT NULL REFERENCES documents(id),
    revision BIGINT NOT NULL,
    content TEXT NOT NULL,
    saved_by BLOB NOT NULL REFERENCES employees(id),
    saved_at BIGINT NOT NULL,
    PRIMARY KEY (document_id, revision)
);

CREATE TABLE document_reviews (
    document_id BLOB NOT NULL REFERENCES documents(id),
    seq INTEGER NOT NULL,
    position_id BLOB NOT NULL REFERENCES positions(id),
    coordination BOOLEAN NOT NULL,
    status TEXT NOT NULL,
    reviewed_revision BIGINT,
    actor_id BLOB REFERENCES employees(id),
    acting TEXT,
    acted_at BIGINT,
    PRIMARY KEY (document_id, seq)
);
CREATE INDEX document_reviews_position ON document_reviews(position_id, status);

CREATE TABLE document_events (
    id BLOB PRIMARY KEY NOT NULL,
    document_id BLOB NOT NULL REFERENCES documents(id),
    at BIGINT NOT NULL,
    actor_id BLOB REFERENCES employees(id),
    action TEXT NOT NULL,
    revision BIGINT NOT NULL,
    comment TEXT,
    detail TEXT
);
CREATE INDEX document_events_document ON document_events(document_id, at);

-- The last serial given in each series. The row is locked by the UPDATE
-- that takes the next serial, so concurrent signatures queue.
CREATE TABLE number_counters (
    organization_id BLOB NOT NULL REFERENCES organizations(id),
    series_key TEXT NOT NULL,
    year INTEGER NOT NULL,
    last_serial BIGINT NOT NULL,
    -- The latest letter date numbered in the series, so a back-dated
    -- letter is recognised without scanning the series.
    latest_date TEXT,
    PRIMARY KEY (organization_id, series_key, year)
);

-- Every number ever given, also those of cancelled documents: a number is
-- never given twice.
CREATE TABLE document_numbers (
    organization_id BLOB NOT NULL REFERENCES organizations(id),
    series_key TEXT NOT NULL,
    year INTEGER NOT NULL,
    serial BIGINT NOT NULL,
    insert_no BIGINT NOT NULL,
    number TEXT NOT NULL,
    letter_date TEXT NOT NULL,
    document_id BLOB NOT NULL UNIQUE REFERENCES documents(id),
    assigned_at BIGINT NOT NULL,
    cancelled_at BIGINT,
    cancelled_by BLOB REFERENCES employees(id),
    cancel_reason TEXT,
    PRIMARY KEY (organization_id, series_key, year, serial, insert_no)
);
CREATE UNIQUE INDEX document_numbers_text ON document_numbers(organization_id, number);
CREATE INDEX document_numbers_date ON document_numbers(organization_id, series_key, year, letter_date);

CREATE TABLE deliveries (
    document_id BLOB NOT NULL REFERENCES documents(id),
    seq INTEGER NOT NULL,
    is_copy BOOLEAN NOT NULL,
    position_id BLOB REFERENCES positions(id),
    organization_id BLOB REFERENCES organizations(id),
    employee_id BLOB REFERENCES employees(id),
    external_name TEXT,
    external_address TEXT,
    delivered_at BIGINT NOT NULL,
    read_at BIGINT,
    PRIMARY KEY (document_id, seq)
);
CREATE INDEX deliveries_inbox ON deliveries(employee_id, delivered_at);

-- Files attached to a draft, stored by SHA-256 in the file store.
CREATE TABLE document_attachments (
    document_id BLOB NOT NULL REFERENCES documents(id),
    seq BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    added_by BLOB NOT NULL REFERENCES employees(id),
    added_at BIGINT NOT NULL,
    PRIMARY KEY (document_id, seq)
);
