-- Signed PDFs: the letterhead settings of each organisation, the signer
-- certificates of the installation's own CA with their sealed keys, and
-- one signed file per signed document. Binary values are stored as
-- base64 text, instants as epoch milliseconds.

CREATE TABLE letterheads (
    organization_id BLOB PRIMARY KEY NOT NULL REFERENCES organizations(id),
    contact TEXT NOT NULL,
    place TEXT NOT NULL,
    emblem_sha256 TEXT,
    updated_at BIGINT NOT NULL
);

CREATE TABLE signer_certificates (
    serial TEXT PRIMARY KEY NOT NULL,
    employee_id BLOB NOT NULL REFERENCES employees(id),
    certificate TEXT NOT NULL,
    sealed_key TEXT NOT NULL,
    subject TEXT NOT NULL,
    issued_at BIGINT NOT NULL,
    not_after BIGINT NOT NULL,
    superseded_at BIGINT,
    revoked_at BIGINT,
    revoked_reason TEXT
);
CREATE INDEX signer_certificates_employee ON signer_certificates(employee_id, issued_at);

CREATE TABLE document_pdfs (
    document_id BLOB PRIMARY KEY NOT NULL REFERENCES documents(id),
    verify_code TEXT NOT NULL UNIQUE,
    sha256 TEXT NOT NULL,
    size BIGINT NOT NULL,
    backend TEXT NOT NULL,
    certificate_serial TEXT,
    signer_name TEXT NOT NULL,
    signer_position TEXT NOT NULL,
    organization_name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX document_pdfs_sha256 ON document_pdfs(sha256);
