//! Organisations, positions and employees.

use std::collections::HashMap;

use serasi_domain::directory::{
    DirectoryError, Employee, EmployeeFields, EmployeeIdentifier, Organization, OrganizationFields,
    OrganizationKind, Position, PositionFields,
};
use serasi_domain::text::fold;
use serasi_domain::tree::check_new_parent;
use serasi_domain::{EmployeeId, OrganizationId, PositionId};
use serde::Serialize;
use uuid::Uuid;

use crate::error::{Conflict, holder_taken, unique_as};
use crate::{Store, StoreError, both_backends, now_ms, rd, tx};

#[derive(sqlx::FromRow)]
struct OrgRow {
    id: Uuid,
    code: Option<String>,
    name: String,
    kind: String,
    parent_id: Option<Uuid>,
    address: Option<String>,
    is_demo: bool,
}

impl OrgRow {
    fn into_domain(self) -> Result<Organization, StoreError> {
        Ok(Organization {
            id: OrganizationId::from_uuid(self.id),
            kind: self
                .kind
                .parse()
                .map_err(|_| StoreError::Corrupt(format!("organisation kind {:?}", self.kind)))?,
            code: self.code,
            name: self.name,
            parent_id: self.parent_id.map(OrganizationId::from_uuid),
            address: self.address,
            is_demo: self.is_demo,
        })
    }
}

#[derive(sqlx::FromRow)]
struct PositionRow {
    id: Uuid,
    organization_id: Uuid,
    name: String,
    parent_id: Option<Uuid>,
    holder_id: Option<Uuid>,
    is_demo: bool,
}

impl PositionRow {
    fn into_domain(self) -> Position {
        Position {
            id: PositionId::from_uuid(self.id),
            organization_id: OrganizationId::from_uuid(self.organization_id),
            name: self.name,
            parent_id: self.parent_id.map(PositionId::from_uuid),
            holder_id: self.holder_id.map(EmployeeId::from_uuid),
            is_demo: self.is_demo,
        }
    }
}

#[derive(sqlx::FromRow)]
struct EmployeeRow {
    id: Uuid,
    identifier_kind: String,
    identifier: String,
    name: String,
    rank: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    organization_id: Uuid,
    is_demo: bool,
}

impl EmployeeRow {
    fn into_domain(self) -> Result<Employee, StoreError> {
        let corrupt = |what: String| StoreError::Corrupt(what);
        let identifier = EmployeeIdentifier::parse(&self.identifier_kind, &self.identifier)
            .map_err(|e| corrupt(format!("employee {}: {e}", self.id)))?;
        let rank = match self.rank {
            Some(r) => Some(r.parse().map_err(|_| corrupt(format!("rank {r:?}")))?),
            None => None,
        };
        Ok(Employee {
            id: EmployeeId::from_uuid(self.id),
            identifier,
            name: self.name,
            rank,
            email: self.email,
            phone: self.phone,
            organization_id: OrganizationId::from_uuid(self.organization_id),
            is_demo: self.is_demo,
        })
    }
}

#[derive(sqlx::FromRow)]
struct PositionJoinRow {
    #[sqlx(flatten)]
    position: PositionRow,
    organization_name: String,
    holder_name: Option<String>,
}

#[derive(sqlx::FromRow)]
struct EmployeeHitRow {
    #[sqlx(flatten)]
    employee: EmployeeRow,
    organization_name: String,
    position_name: Option<String>,
}

/// A position with its organisation and holder's names, for listings.
#[derive(Clone, Debug, Serialize)]
pub struct PositionView {
    pub position: Position,
    pub organization_name: String,
    pub holder_name: Option<String>,
}

/// An employee found by search, with the position they hold.
#[derive(Clone, Debug, Serialize)]
pub struct EmployeeHit {
    pub employee: Employee,
    pub organization_name: String,
    pub position_name: Option<String>,
}

/// Counts shown on the dashboard.
#[derive(Clone, Debug, Default, Serialize)]
pub struct DirectoryStats {
    pub organizations_by_kind: Vec<(String, i64)>,
    pub positions: i64,
    pub employees: i64,
}

const ORG_COLUMNS: &str = "id, code, name, kind, parent_id, address, is_demo";
const POSITION_COLUMNS: &str = "id, organization_id, name, parent_id, holder_id, is_demo";
const EMPLOYEE_COLUMNS: &str =
    "id, identifier_kind, identifier, name, rank, email, phone, organization_id, is_demo";

/// Escapes `%`, `_` and `\` so user text matches literally in `LIKE … ESCAPE '\'`.
pub(crate) fn like_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

both_backends! {
    pub(crate) async fn org_by_id(
        conn: &mut Conn,
        id: OrganizationId,
    ) -> Result<Option<Organization>, StoreError> {
        let sql = format!("SELECT {ORG_COLUMNS} FROM organizations WHERE id = $1");
        let row: Option<OrgRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(id.as_uuid())
            .fetch_optional(&mut *conn)
            .await?;
        row.map(OrgRow::into_domain).transpose()
    }

    pub(crate) async fn org_by_code(
        conn: &mut Conn,
        code: &str,
    ) -> Result<Option<Organization>, StoreError> {
        let sql = format!("SELECT {ORG_COLUMNS} FROM organizations WHERE code = $1");
        let row: Option<OrgRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(code)
            .fetch_optional(&mut *conn)
            .await?;
        row.map(OrgRow::into_domain).transpose()
    }

    pub(crate) async fn org_exists(conn: &mut Conn, code: &str) -> Result<bool, StoreError> {
        Ok(org_id_by_code(conn, code).await?.is_some())
    }

    pub(crate) async fn org_id_by_code(
        conn: &mut Conn,
        code: &str,
    ) -> Result<Option<OrganizationId>, StoreError> {
        let id: Option<Uuid> = sqlx::query_scalar("SELECT id FROM organizations WHERE code = $1")
            .bind(code)
            .fetch_optional(&mut *conn)
            .await?;
        Ok(id.map(OrganizationId::from_uuid))
    }

    pub(crate) async fn all_orgs(conn: &mut Conn) -> Result<Vec<Organization>, StoreError> {
        let sql = format!("SELECT {ORG_COLUMNS} FROM organizations ORDER BY code, name");
        let rows: Vec<OrgRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .fetch_all(&mut *conn)
            .await?;
        rows.into_iter().map(OrgRow::into_domain).collect()
    }

    /// Checks kind placement under the parent and, for a move, that the
    /// tree stays acyclic.
    async fn check_org_placement(
        conn: &mut Conn,
        id: Option<OrganizationId>,
        fields: &OrganizationFields,
    ) -> Result<(), StoreError> {
        let parent = match fields.parent_id {
            Some(parent_id) => Some(
                org_by_id(conn, parent_id)
                    .await?
                    .ok_or_else(|| StoreError::not_found("parent organisation", parent_id))?,
            ),
            None => None,
        };
        if !fields.kind.may_sit_under(parent.as_ref().map(|p| p.kind)) {
            let parent = parent.map_or_else(|| "root".to_owned(), |p| p.kind.to_string());
            return Err(DirectoryError::Placement { kind: fields.kind, parent }.into());
        }
        if let (Some(id), Some(parent)) = (id, parent) {
            let parents: HashMap<OrganizationId, OrganizationId> = all_orgs(conn)
                .await?
                .into_iter()
                .filter_map(|o| o.parent_id.map(|p| (o.id, p)))
                .collect();
            check_new_parent(id, parent.id, |n| parents.get(&n).copied())?;
        }
        Ok(())
    }

    pub(crate) async fn insert_org(
        conn: &mut Conn,
        fields: &OrganizationFields,
        is_demo: bool,
    ) -> Result<Organization, StoreError> {
        check_org_placement(conn, None, fields).await?;
        if fields.kind == OrganizationKind::Regency {
            let regencies: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM organizations WHERE kind = $1")
                .bind(OrganizationKind::Regency.as_str())
                .fetch_one(&mut *conn)
                .await?;
            if regencies > 0 {
                return Err(Conflict::SecondRegency.into());
            }
        }
        let id = OrganizationId::new();
        let now = now_ms();
        sqlx::query(
            "INSERT INTO organizations (id, code, name, kind, parent_id, address, is_demo, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
        )
        .bind(id.as_uuid())
        .bind(&fields.code)
        .bind(&fields.name)
        .bind(fields.kind.as_str())
        .bind(fields.parent_id.map(|p| p.as_uuid()))
        .bind(&fields.address)
        .bind(is_demo)
        .bind(now)
        .execute(&mut *conn)
        .await
        .map_err(unique_as("code", fields.code.as_deref().unwrap_or_default()))?;
        org_by_id(conn, id)
            .await?
            .ok_or_else(|| StoreError::not_found("organisation", id))
    }

    /// Checks that moving `moved` under `new_parent` leaves every position
    /// in its subtree reporting to a position in the subtree or in one of
    /// the new ancestors.
    async fn check_positions_after_move(
        conn: &mut Conn,
        moved: OrganizationId,
        new_parent: Option<OrganizationId>,
    ) -> Result<(), StoreError> {
        let orgs = all_orgs(conn).await?;
        let mut subtree = vec![moved];
        let mut index = 0;
        while index < subtree.len() {
            let current = subtree[index];
            subtree.extend(orgs.iter().filter(|o| o.parent_id == Some(current)).map(|o| o.id));
            index += 1;
        }
        let mut allowed = subtree.clone();
        let mut cursor = new_parent;
        while let Some(org) = cursor.filter(|o| !allowed.contains(o)) {
            allowed.push(org);
            cursor = orgs.iter().find(|o| o.id == org).and_then(|o| o.parent_id);
        }
        for org in &subtree {
            for view in positions_of_org(conn, *org).await? {
                let Some(parent_id) = view.position.parent_id else { continue };
                let parent_org = position_by_id(conn, parent_id).await?.map(|p| p.organization_id);
                if parent_org.is_some_and(|p| !allowed.contains(&p)) {
                    return Err(Conflict::OrgMoveBreaksPositions.into());
                }
            }
        }
        Ok(())
    }

    pub(crate) async fn update_org(
        conn: &mut Conn,
        id: OrganizationId,
        fields: &OrganizationFields,
    ) -> Result<Organization, StoreError> {
        let current = org_by_id(conn, id)
            .await?
            .ok_or_else(|| StoreError::not_found("organisation", id))?;
        check_org_placement(conn, Some(id), fields).await?;
        if current.parent_id != fields.parent_id {
            check_positions_after_move(conn, id, fields.parent_id).await?;
        }
        if current.kind != fields.kind {
            let children: Vec<String> =
                sqlx::query_scalar("SELECT kind FROM organizations WHERE parent_id = $1")
                    .bind(id.as_uuid())
                    .fetch_all(&mut *conn)
                    .await?;
            for child in children {
                let kind: OrganizationKind = child
                    .parse()
                    .map_err(|_| StoreError::Corrupt(format!("organisation kind {child:?}")))?;
                if !kind.may_sit_under(Some(fields.kind)) {
                    return Err(Conflict::KindChange { kind: fields.kind, child: kind }.into());
                }
            }
        }
        sqlx::query(
            "UPDATE organizations SET code = $2, name = $3, kind = $4, parent_id = $5, \
             address = $6, updated_at = $7 WHERE id = $1",
        )
        .bind(id.as_uuid())
        .bind(&fields.code)
        .bind(&fields.name)
        .bind(fields.kind.as_str())
        .bind(fields.parent_id.map(|p| p.as_uuid()))
        .bind(&fields.address)
        .bind(now_ms())
        .execute(&mut *conn)
        .await
        .map_err(unique_as("code", fields.code.as_deref().unwrap_or_default()))?;
        org_by_id(conn, id)
            .await?
            .ok_or_else(|| StoreError::not_found("organisation", id))
    }

    pub(crate) async fn delete_org(conn: &mut Conn, id: OrganizationId) -> Result<(), StoreError> {
        let uses: i64 = sqlx::query_scalar(
            "SELECT (SELECT COUNT(*) FROM organizations WHERE parent_id = $1) \
             + (SELECT COUNT(*) FROM positions WHERE organization_id = $1) \
             + (SELECT COUNT(*) FROM employees WHERE organization_id = $1)",
        )
        .bind(id.as_uuid())
        .fetch_one(&mut *conn)
        .await?;
        if uses > 0 {
            return Err(Conflict::OrganizationInUse.into());
        }
        let done = sqlx::query("DELETE FROM organizations WHERE id = $1")
            .bind(id.as_uuid())
            .execute(&mut *conn)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found("organisation", id));
        }
        Ok(())
    }

    pub(crate) async fn position_by_name(
        conn: &mut Conn,
        org: OrganizationId,
        name: &str,
    ) -> Result<Vec<Position>, StoreError> {
        let sql = format!("SELECT {POSITION_COLUMNS} FROM positions WHERE organization_id = $1 AND name_folded = $2");
        let rows: Vec<PositionRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(org.as_uuid())
            .bind(fold(name.trim()))
            .fetch_all(&mut *conn)
            .await?;
        Ok(rows.into_iter().map(PositionRow::into_domain).collect())
    }

    pub(crate) async fn all_positions(conn: &mut Conn) -> Result<Vec<Position>, StoreError> {
        let sql = format!("SELECT {POSITION_COLUMNS} FROM positions");
        let rows: Vec<PositionRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .fetch_all(&mut *conn)
            .await?;
        Ok(rows.into_iter().map(PositionRow::into_domain).collect())
    }

    pub(crate) async fn position_by_id(
        conn: &mut Conn,
        id: PositionId,
    ) -> Result<Option<Position>, StoreError> {
        let sql = format!("SELECT {POSITION_COLUMNS} FROM positions WHERE id = $1");
        let row: Option<PositionRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(id.as_uuid())
            .fetch_optional(&mut *conn)
            .await?;
        Ok(row.map(PositionRow::into_domain))
    }

    async fn check_position(
        conn: &mut Conn,
        id: Option<PositionId>,
        fields: &PositionFields,
    ) -> Result<(), StoreError> {
        if org_by_id(conn, fields.organization_id).await?.is_none() {
            return Err(StoreError::not_found("organisation", fields.organization_id));
        }
        if let Some(holder) = fields.holder_id
            && employee_by_id(conn, holder).await?.is_none()
        {
            return Err(StoreError::not_found("employee", holder));
        }
        let Some(parent_id) = fields.parent_id else {
            return Ok(());
        };
        let Some(parent) = position_by_id(conn, parent_id).await? else {
            return Err(StoreError::not_found("parent position", parent_id));
        };
        // A superior sits in the same organisation or in one above it, as
        // a unit head reports to the head of the agency.
        let mut org = Some(fields.organization_id);
        let mut depth = 0;
        while let Some(current) = org.filter(|o| *o != parent.organization_id) {
            org = org_by_id(conn, current).await?.and_then(|o| o.parent_id);
            depth += 1;
            if depth > 64 {
                break;
            }
        }
        if org != Some(parent.organization_id) {
            return Err(Conflict::ParentPositionOutside.into());
        }
        if let Some(id) = id {
            let mut parents = HashMap::new();
            let mut cursor = Some(parent_id);
            // Walk up from the new parent; the domain check spots a cycle.
            while let Some(current) = cursor.filter(|c| !parents.contains_key(c)) {
                let next = position_by_id(conn, current).await?.and_then(|p| p.parent_id);
                if let Some(next) = next {
                    parents.insert(current, next);
                }
                cursor = next.filter(|n| *n != id);
                if next == Some(id) {
                    parents.insert(current, id);
                }
            }
            check_new_parent(id, parent_id, |n| parents.get(&n).copied())?;
        }
        Ok(())
    }

    pub(crate) async fn insert_position(
        conn: &mut Conn,
        fields: &PositionFields,
        is_demo: bool,
    ) -> Result<Position, StoreError> {
        check_position(conn, None, fields).await?;
        let id = PositionId::new();
        let now = now_ms();
        sqlx::query(
            "INSERT INTO positions (id, organization_id, name, name_folded, parent_id, holder_id, is_demo, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
        )
        .bind(id.as_uuid())
        .bind(fields.organization_id.as_uuid())
        .bind(&fields.name)
        .bind(fold(&fields.name))
        .bind(fields.parent_id.map(|p| p.as_uuid()))
        .bind(fields.holder_id.map(|h| h.as_uuid()))
        .bind(is_demo)
        .bind(now)
        .execute(&mut *conn)
        .await
        .map_err(holder_taken)?;
        position_by_id(conn, id)
            .await?
            .ok_or_else(|| StoreError::not_found("position", id))
    }

    pub(crate) async fn update_position(
        conn: &mut Conn,
        id: PositionId,
        fields: &PositionFields,
    ) -> Result<Position, StoreError> {
        let Some(current) = position_by_id(conn, id).await? else {
            return Err(StoreError::not_found("position", id));
        };
        check_position(conn, Some(id), fields).await?;
        if current.organization_id != fields.organization_id {
            // Subordinates would otherwise report across organisations.
            let subordinates: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM positions WHERE parent_id = $1")
                .bind(id.as_uuid())
                .fetch_one(&mut *conn)
                .await?;
            if subordinates > 0 {
                return Err(Conflict::PositionHasChildren.into());
            }
        }
        sqlx::query(
            "UPDATE positions SET organization_id = $2, name = $3, name_folded = $4, parent_id = $5, \
             holder_id = $6, updated_at = $7 WHERE id = $1",
        )
        .bind(id.as_uuid())
        .bind(fields.organization_id.as_uuid())
        .bind(&fields.name)
        .bind(fold(&fields.name))
        .bind(fields.parent_id.map(|p| p.as_uuid()))
        .bind(fields.holder_id.map(|h| h.as_uuid()))
        .bind(now_ms())
        .execute(&mut *conn)
        .await
        .map_err(holder_taken)?;
        position_by_id(conn, id)
            .await?
            .ok_or_else(|| StoreError::not_found("position", id))
    }

    pub(crate) async fn positions_of_org(
        conn: &mut Conn,
        org: OrganizationId,
    ) -> Result<Vec<PositionView>, StoreError> {
        let rows: Vec<PositionJoinRow> = sqlx::query_as(
            "SELECT p.id, p.organization_id, p.name, p.parent_id, p.holder_id, p.is_demo, \
             o.name AS organization_name, e.name AS holder_name \
             FROM positions p JOIN organizations o ON o.id = p.organization_id \
             LEFT JOIN employees e ON e.id = p.holder_id \
             WHERE p.organization_id = $1 ORDER BY p.created_at",
        )
        .bind(org.as_uuid())
        .fetch_all(&mut *conn)
        .await?;
        Ok(rows
            .into_iter()
            .map(|row| PositionView {
                position: row.position.into_domain(),
                organization_name: row.organization_name,
                holder_name: row.holder_name,
            })
            .collect())
    }

    pub(crate) async fn employee_by_id(
        conn: &mut Conn,
        id: EmployeeId,
    ) -> Result<Option<Employee>, StoreError> {
        let sql = format!("SELECT {EMPLOYEE_COLUMNS} FROM employees WHERE id = $1");
        let row: Option<EmployeeRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(id.as_uuid())
            .fetch_optional(&mut *conn)
            .await?;
        row.map(EmployeeRow::into_domain).transpose()
    }

    pub(crate) async fn employee_by_identifier(
        conn: &mut Conn,
        identifier: &str,
    ) -> Result<Option<Employee>, StoreError> {
        let sql = format!("SELECT {EMPLOYEE_COLUMNS} FROM employees WHERE identifier = $1");
        let row: Option<EmployeeRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(identifier)
            .fetch_optional(&mut *conn)
            .await?;
        row.map(EmployeeRow::into_domain).transpose()
    }

    pub(crate) async fn insert_employee(
        conn: &mut Conn,
        fields: &EmployeeFields,
        is_demo: bool,
    ) -> Result<Employee, StoreError> {
        if org_by_id(conn, fields.organization_id).await?.is_none() {
            return Err(StoreError::not_found("organisation", fields.organization_id));
        }
        let id = EmployeeId::new();
        let now = now_ms();
        sqlx::query(
            "INSERT INTO employees (id, identifier_kind, identifier, name, name_folded, rank, email, phone, \
             organization_id, is_demo, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)",
        )
        .bind(id.as_uuid())
        .bind(fields.identifier.kind())
        .bind(fields.identifier.value())
        .bind(&fields.name)
        .bind(fold(&fields.name))
        .bind(fields.rank.map(|r| r.code()))
        .bind(&fields.email)
        .bind(&fields.phone)
        .bind(fields.organization_id.as_uuid())
        .bind(is_demo)
        .bind(now)
        .execute(&mut *conn)
        .await
        .map_err(unique_as("identifier", fields.identifier.value()))?;
        employee_by_id(conn, id)
            .await?
            .ok_or_else(|| StoreError::not_found("employee", id))
    }

    pub(crate) async fn update_employee(
        conn: &mut Conn,
        id: EmployeeId,
        fields: &EmployeeFields,
    ) -> Result<Employee, StoreError> {
        if org_by_id(conn, fields.organization_id).await?.is_none() {
            return Err(StoreError::not_found("organisation", fields.organization_id));
        }
        let done = sqlx::query(
            "UPDATE employees SET identifier_kind = $2, identifier = $3, name = $4, name_folded = $5, \
             rank = $6, email = $7, phone = $8, organization_id = $9, updated_at = $10 WHERE id = $1",
        )
        .bind(id.as_uuid())
        .bind(fields.identifier.kind())
        .bind(fields.identifier.value())
        .bind(&fields.name)
        .bind(fold(&fields.name))
        .bind(fields.rank.map(|r| r.code()))
        .bind(&fields.email)
        .bind(&fields.phone)
        .bind(fields.organization_id.as_uuid())
        .bind(now_ms())
        .execute(&mut *conn)
        .await
        .map_err(unique_as("identifier", fields.identifier.value()))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found("employee", id));
        }
        employee_by_id(conn, id)
            .await?
            .ok_or_else(|| StoreError::not_found("employee", id))
    }

    pub(crate) async fn search_employees(
        conn: &mut Conn,
        query: &str,
        organization: Option<OrganizationId>,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<EmployeeHit>, i64), StoreError> {
        let folded: String = fold(query.trim()).chars().filter(|c| !c.is_control()).collect();
        let contains = format!("%{}%", like_escape(&folded));
        let digits: String = folded.chars().filter(|c| !c.is_whitespace()).collect();
        let prefix = format!("{}%", like_escape(&digits));
        let filter = "FROM employees e JOIN organizations o ON o.id = e.organization_id \
             LEFT JOIN positions p ON p.holder_id = e.id \
             WHERE (e.name_folded LIKE $1 ESCAPE '\\' OR e.identifier LIKE $2 ESCAPE '\\' \
                    OR p.name_folded LIKE $1 ESCAPE '\\') \
               AND ($3 IS NULL OR e.organization_id = $3)";
        let org = organization.map(|o| o.as_uuid());
        let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) {filter}")))
            .bind(&contains)
            .bind(&prefix)
            .bind(org)
            .fetch_one(&mut *conn)
            .await?;
        let sql = format!(
            "SELECT e.id, e.identifier_kind, e.identifier, e.name, e.rank, e.email, e.phone, \
             e.organization_id, e.is_demo, o.name AS organization_name, p.name AS position_name \
             {filter} ORDER BY e.name_folded, e.id LIMIT $4 OFFSET $5"
        );
        let rows: Vec<EmployeeHitRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(&contains)
            .bind(&prefix)
            .bind(org)
            .bind(limit)
            .bind(offset)
            .fetch_all(&mut *conn)
            .await?;
        let mut hits = Vec::with_capacity(rows.len());
        for row in rows {
            hits.push(EmployeeHit {
                employee: row.employee.into_domain()?,
                organization_name: row.organization_name,
                position_name: row.position_name,
            });
        }
        Ok((hits, total))
    }

    pub(crate) async fn position_of_employee(
        conn: &mut Conn,
        employee: EmployeeId,
    ) -> Result<Option<Position>, StoreError> {
        let sql = format!("SELECT {POSITION_COLUMNS} FROM positions WHERE holder_id = $1");
        let row: Option<PositionRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(employee.as_uuid())
            .fetch_optional(&mut *conn)
            .await?;
        Ok(row.map(PositionRow::into_domain))
    }

    pub(crate) async fn stats(conn: &mut Conn) -> Result<DirectoryStats, StoreError> {
        let organizations_by_kind: Vec<(String, i64)> =
            sqlx::query_as("SELECT kind, COUNT(*) FROM organizations GROUP BY kind ORDER BY kind")
                .fetch_all(&mut *conn)
                .await?;
        let positions: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM positions")
            .fetch_one(&mut *conn)
            .await?;
        let employees: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM employees")
            .fetch_one(&mut *conn)
            .await?;
        Ok(DirectoryStats { organizations_by_kind, positions, employees })
    }
}

impl Store {
    pub async fn organization(
        &self,
        id: OrganizationId,
    ) -> Result<Option<Organization>, StoreError> {
        rd!(self, |conn, q| q::org_by_id(conn, id).await)
    }

    pub async fn organization_by_code(
        &self,
        code: &str,
    ) -> Result<Option<Organization>, StoreError> {
        rd!(self, |conn, q| q::org_by_code(conn, code).await)
    }

    /// Lists every organisation, ordered by code. A regency has a few hundred.
    pub async fn organizations(&self) -> Result<Vec<Organization>, StoreError> {
        rd!(self, |conn, q| q::all_orgs(conn).await)
    }

    pub async fn create_organization(
        &self,
        fields: &OrganizationFields,
        is_demo: bool,
    ) -> Result<Organization, StoreError> {
        tx!(self, |conn, q| q::insert_org(conn, fields, is_demo).await)
    }

    pub async fn update_organization(
        &self,
        id: OrganizationId,
        fields: &OrganizationFields,
    ) -> Result<Organization, StoreError> {
        tx!(self, |conn, q| q::update_org(conn, id, fields).await)
    }

    pub async fn delete_organization(&self, id: OrganizationId) -> Result<(), StoreError> {
        tx!(self, |conn, q| q::delete_org(conn, id).await)
    }

    pub async fn position(&self, id: PositionId) -> Result<Option<Position>, StoreError> {
        rd!(self, |conn, q| q::position_by_id(conn, id).await)
    }

    pub async fn positions_of(&self, org: OrganizationId) -> Result<Vec<PositionView>, StoreError> {
        rd!(self, |conn, q| q::positions_of_org(conn, org).await)
    }

    pub async fn create_position(
        &self,
        fields: &PositionFields,
        is_demo: bool,
    ) -> Result<Position, StoreError> {
        tx!(self, |conn, q| q::insert_position(conn, fields, is_demo)
            .await)
    }

    pub async fn update_position(
        &self,
        id: PositionId,
        fields: &PositionFields,
    ) -> Result<Position, StoreError> {
        tx!(self, |conn, q| q::update_position(conn, id, fields).await)
    }

    pub async fn employee(&self, id: EmployeeId) -> Result<Option<Employee>, StoreError> {
        rd!(self, |conn, q| q::employee_by_id(conn, id).await)
    }

    pub async fn employee_by_identifier(
        &self,
        identifier: &str,
    ) -> Result<Option<Employee>, StoreError> {
        rd!(self, |conn, q| q::employee_by_identifier(conn, identifier)
            .await)
    }

    pub async fn create_employee(
        &self,
        fields: &EmployeeFields,
        is_demo: bool,
    ) -> Result<Employee, StoreError> {
        tx!(self, |conn, q| q::insert_employee(conn, fields, is_demo)
            .await)
    }

    pub async fn update_employee(
        &self,
        id: EmployeeId,
        fields: &EmployeeFields,
    ) -> Result<Employee, StoreError> {
        tx!(self, |conn, q| q::update_employee(conn, id, fields).await)
    }

    /// Finds employees whose name, identifier or position matches `query`,
    /// ignoring case and diacritics; returns one page and the total count.
    pub async fn search_employees(
        &self,
        query: &str,
        organization: Option<OrganizationId>,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<EmployeeHit>, i64), StoreError> {
        rd!(self, |conn, q| q::search_employees(
            conn,
            query,
            organization,
            limit,
            offset
        )
        .await)
    }

    pub async fn position_of_employee(
        &self,
        id: EmployeeId,
    ) -> Result<Option<Position>, StoreError> {
        rd!(self, |conn, q| q::position_of_employee(conn, id).await)
    }

    pub async fn directory_stats(&self) -> Result<DirectoryStats, StoreError> {
        rd!(self, |conn, q| q::stats(conn).await)
    }
}
