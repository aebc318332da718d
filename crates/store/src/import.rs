//! Bulk import of organisations, positions and employees. A file is
//! imported whole or not at all: every row is checked inside one
//! transaction, and any row error rolls the transaction back.

use std::collections::HashMap;

use serasi_domain::directory::{DirectoryError, EmployeeInput, OrganizationInput, PositionInput};
use serasi_domain::{EmployeeId, OrganizationId, PositionId};

use crate::{Store, StoreError, both_backends, tx};

/// Kind of rows a file contains.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImportKind {
    Organizations,
    Positions,
    Employees,
}

impl ImportKind {
    /// Columns a file of this kind must have; others are optional.
    pub fn required_columns(&self) -> &'static [&'static str] {
        match self {
            ImportKind::Organizations => &["code", "name", "kind", "parent_code"],
            ImportKind::Positions => &["organization_code", "name"],
            ImportKind::Employees => &["identifier", "name", "organization_code"],
        }
    }

    /// Lists every column understood for this kind.
    pub fn known_columns(&self) -> &'static [&'static str] {
        match self {
            ImportKind::Organizations => &["code", "name", "kind", "parent_code", "address"],
            ImportKind::Positions => &[
                "organization_code",
                "name",
                "parent_position",
                "holder_identifier",
            ],
            ImportKind::Employees => &[
                "identifier_kind",
                "identifier",
                "name",
                "rank",
                "email",
                "phone",
                "organization_code",
                "position",
            ],
        }
    }
}

impl std::str::FromStr for ImportKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "organizations" => Ok(ImportKind::Organizations),
            "positions" => Ok(ImportKind::Positions),
            "employees" => Ok(ImportKind::Employees),
            other => Err(format!(
                "unknown import kind {other:?}; expected organizations, positions or employees"
            )),
        }
    }
}

/// One data row: its 1-based line in the file (the header is line 1) and
/// its cells by lowercase column name.
#[derive(Clone, Debug)]
pub struct ImportRow {
    pub line: usize,
    pub cells: HashMap<String, String>,
}

impl ImportRow {
    fn get(&self, column: &str) -> Option<&str> {
        self.cells
            .get(column)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    }
}

/// Reason a row was rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RowProblem {
    Invalid(DirectoryError),
    Duplicate { value: String },
    NotFound { what: &'static str, value: String },
    Ambiguous { what: &'static str, value: String },
    Conflict(crate::Conflict),
    Tree(serasi_domain::tree::TreeError),
}

/// A row error: line, column and reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowError {
    pub line: usize,
    pub column: String,
    pub problem: RowProblem,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{} row(s) have errors; nothing was imported", .0.len())]
    Rows(Vec<RowError>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for ImportError {
    fn from(err: sqlx::Error) -> Self {
        ImportError::Store(err.into())
    }
}

fn row_error(line: usize, column: &str, problem: RowProblem) -> RowError {
    RowError {
        line,
        column: column.to_owned(),
        problem,
    }
}

/// Turns a store error on one row into a row error, or passes a server
/// fault through.
fn classify(line: usize, default_column: &str, err: StoreError) -> Result<RowError, StoreError> {
    let problem = match err {
        StoreError::Invalid(e) => {
            let column = e.field();
            return Ok(row_error(line, column, RowProblem::Invalid(e)));
        }
        StoreError::Duplicate { field, value } => {
            return Ok(row_error(line, field, RowProblem::Duplicate { value }));
        }
        StoreError::NotFound { entity, id } => RowProblem::NotFound {
            what: entity,
            value: id,
        },
        StoreError::Tree(e) => RowProblem::Tree(e),
        StoreError::Conflict(c) => RowProblem::Conflict(c),
        other => return Err(other),
    };
    Ok(row_error(line, default_column, problem))
}

both_backends! {
    async fn savepoint(conn: &mut Conn, command: &'static str) -> Result<(), StoreError> {
        sqlx::query(command).execute(&mut *conn).await?;
        Ok(())
    }

    async fn resolve_org(conn: &mut Conn, line: usize, column: &str, code: Option<&str>) -> Result<Result<OrganizationId, RowError>, StoreError> {
        let Some(code) = code else {
            return Ok(Err(row_error(line, column, RowProblem::Invalid(DirectoryError::Required { field: "organization_code" }))));
        };
        Ok(directory_db::org_id_by_code(conn, code)
            .await?
            .ok_or_else(|| row_error(line, column, RowProblem::NotFound { what: "organisation", value: code.to_owned() })))
    }

    async fn resolve_position(conn: &mut Conn, line: usize, column: &str, org: OrganizationId, name: &str) -> Result<Result<PositionId, RowError>, StoreError> {
        let found = directory_db::position_by_name(conn, org, name).await?;
        Ok(match found.as_slice() {
            [one] => Ok(one.id),
            [] => Err(row_error(line, column, RowProblem::NotFound { what: "position", value: name.to_owned() })),
            _ => Err(row_error(line, column, RowProblem::Ambiguous { what: "position", value: name.to_owned() })),
        })
    }

    async fn import_org_row(conn: &mut Conn, row: &ImportRow) -> Result<Result<(), RowError>, StoreError> {
        let parent_id = match row.get("parent_code") {
            None => None,
            Some(code) => match directory_db::org_id_by_code(conn, code).await? {
                Some(id) => Some(id),
                None => return Ok(Err(row_error(row.line, "parent_code", RowProblem::NotFound { what: "parent organisation", value: code.to_owned() }))),
            },
        };
        let input = OrganizationInput {
            code: row.get("code").map(str::to_owned),
            name: row.get("name").unwrap_or_default().to_owned(),
            kind: row.get("kind").unwrap_or_default().to_owned(),
            parent_id,
            address: row.get("address").map(str::to_owned),
        };
        let fields = match input.validate() {
            Ok(fields) => fields,
            Err(e) => return Ok(Err(row_error(row.line, e.field(), RowProblem::Invalid(e)))),
        };
        if fields.code.is_none() {
            return Ok(Err(row_error(row.line, "code", RowProblem::Invalid(DirectoryError::Required { field: "code" }))));
        }
        match directory_db::insert_org(conn, &fields, false).await {
            Ok(_) => Ok(Ok(())),
            Err(e) => classify(row.line, "parent_code", e).map(|mut err| {
                // The store names the field `parent`; the file calls it `parent_code`.
                if err.column == "parent" {
                    err.column = "parent_code".into();
                }
                Err(err)
            }),
        }
    }

    async fn import_position_row(conn: &mut Conn, row: &ImportRow) -> Result<Result<(), RowError>, StoreError> {
        let org = match resolve_org(conn, row.line, "organization_code", row.get("organization_code")).await? {
            Ok(org) => org,
            Err(e) => return Ok(Err(e)),
        };
        let parent_id = match row.get("parent_position") {
            None => None,
            Some(name) => {
                // Like the form, a parent may be in the same organisation or
                // in the one above it (a unit head reports to the agency head).
                let own = resolve_position(conn, row.line, "parent_position", org, name).await?;
                let above = match (&own, directory_db::org_by_id(conn, org).await?.and_then(|o| o.parent_id)) {
                    (Err(e), Some(parent_org)) if matches!(e.problem, RowProblem::NotFound { .. }) => {
                        Some(resolve_position(conn, row.line, "parent_position", parent_org, name).await?)
                    }
                    _ => None,
                };
                match above.unwrap_or(own) {
                    Ok(id) => Some(id),
                    Err(e) => return Ok(Err(e)),
                }
            }
        };
        let holder_id = match row.get("holder_identifier") {
            None => None,
            Some(identifier) => match directory_db::employee_by_identifier(conn, &identifier.replace(' ', "")).await? {
                Some(e) => Some(e.id),
                None => return Ok(Err(row_error(row.line, "holder_identifier", RowProblem::NotFound { what: "employee", value: identifier.to_owned() }))),
            },
        };
        let input = PositionInput {
            organization_id: Some(org),
            name: row.get("name").unwrap_or_default().to_owned(),
            parent_id,
            holder_id,
        };
        let fields = match input.validate() {
            Ok(fields) => fields,
            Err(e) => return Ok(Err(row_error(row.line, e.field(), RowProblem::Invalid(e)))),
        };
        match directory_db::insert_position(conn, &fields, false).await {
            Ok(_) => Ok(Ok(())),
            Err(e) => classify(row.line, "name", e).map(|mut err| {
                // Point at the column whose value caused the conflict.
                match &err.problem {
                    RowProblem::Conflict(crate::Conflict::HolderTaken) => err.column = "holder_identifier".into(),
                    RowProblem::Conflict(crate::Conflict::ParentPositionOutside) | RowProblem::Tree(_) => {
                        err.column = "parent_position".into()
                    }
                    _ => {}
                }
                Err(err)
            }),
        }
    }

    async fn import_employee_row(conn: &mut Conn, row: &ImportRow) -> Result<Result<(), RowError>, StoreError> {
        let org = match resolve_org(conn, row.line, "organization_code", row.get("organization_code")).await? {
            Ok(org) => org,
            Err(e) => return Ok(Err(e)),
        };
        let input = EmployeeInput {
            identifier_kind: row.get("identifier_kind").map(str::to_owned),
            identifier: row.get("identifier").unwrap_or_default().to_owned(),
            name: row.get("name").unwrap_or_default().to_owned(),
            rank: row.get("rank").map(str::to_owned),
            email: row.get("email").map(str::to_owned),
            phone: row.get("phone").map(str::to_owned),
            organization_id: Some(org),
        };
        let fields = match input.validate() {
            Ok(fields) => fields,
            Err(e) => {
                let column = if e.field() == "nip" { "identifier" } else { e.field() };
                return Ok(Err(row_error(row.line, column, RowProblem::Invalid(e))));
            }
        };
        let employee: EmployeeId = match directory_db::insert_employee(conn, &fields, false).await {
            Ok(employee) => employee.id,
            Err(e) => return classify(row.line, "identifier", e).map(|mut err| {
                if err.column == "nip" {
                    err.column = "identifier".into();
                }
                Err(err)
            }),
        };
        let Some(position_name) = row.get("position") else { return Ok(Ok(())) };
        let position_id = match resolve_position(conn, row.line, "position", org, position_name).await? {
            Ok(id) => id,
            Err(e) => return Ok(Err(e)),
        };
        let Some(position) = directory_db::position_by_id(conn, position_id).await? else {
            return Ok(Err(row_error(row.line, "position", RowProblem::NotFound { what: "position", value: position_name.to_owned() })));
        };
        if position.holder_id.is_some() {
            return Ok(Err(row_error(row.line, "position", RowProblem::Conflict(crate::Conflict::PositionFilled(position_name.to_owned())))));
        }
        let fields = serasi_domain::directory::PositionFields {
            organization_id: position.organization_id,
            name: position.name,
            parent_id: position.parent_id,
            holder_id: Some(employee),
        };
        match directory_db::update_position(conn, position_id, &fields).await {
            Ok(_) => Ok(Ok(())),
            Err(e) => classify(row.line, "position", e).map(|mut err| {
                err.column = "position".into();
                Err(err)
            }),
        }
    }

    pub(crate) async fn import_rows(conn: &mut Conn, kind: ImportKind, rows: &[ImportRow]) -> Result<usize, ImportError> {
        let mut errors = Vec::new();
        for row in rows {
            // A savepoint per row keeps the transaction usable after a failed
            // statement, which PostgreSQL would otherwise abort.
            savepoint(conn, "SAVEPOINT import_row").await?;
            let outcome = match kind {
                ImportKind::Organizations => import_org_row(conn, row).await?,
                ImportKind::Positions => import_position_row(conn, row).await?,
                ImportKind::Employees => import_employee_row(conn, row).await?,
            };
            match outcome {
                Ok(()) => savepoint(conn, "RELEASE SAVEPOINT import_row").await?,
                Err(e) => {
                    savepoint(conn, "ROLLBACK TO SAVEPOINT import_row").await?;
                    savepoint(conn, "RELEASE SAVEPOINT import_row").await?;
                    errors.push(e);
                }
            }
        }
        if errors.is_empty() { Ok(rows.len()) } else { Err(ImportError::Rows(errors)) }
    }
}

impl Store {
    /// Imports rows of one kind in a single transaction; returns the number
    /// of rows created, or every row error with nothing written.
    pub async fn import_directory(
        &self,
        kind: ImportKind,
        rows: &[ImportRow],
    ) -> Result<usize, ImportError> {
        tx!(self, |conn, q| q::import_rows(conn, kind, rows).await)
    }
}
