//! The audit log: who changed what, and when.

use serasi_domain::UserId;
use serde::Serialize;
use uuid::Uuid;

use crate::{Store, StoreError, now_ms};

/// One audit record.
#[derive(Clone, Debug, Serialize)]
pub struct AuditEntry {
    pub at: i64,
    pub actor_id: Option<UserId>,
    /// The actor's username; `None` for the command line or a deleted account.
    pub actor_username: Option<String>,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub detail: serde_json::Value,
}

#[derive(sqlx::FromRow)]
struct AuditRow {
    at: i64,
    actor_id: Option<Uuid>,
    actor_username: Option<String>,
    action: String,
    entity: String,
    entity_id: String,
    detail: String,
}

impl Store {
    /// Appends an audit record. `detail` must not contain secrets.
    pub async fn audit(
        &self,
        actor: Option<UserId>,
        action: &str,
        entity: &str,
        entity_id: &str,
        detail: serde_json::Value,
    ) -> Result<(), StoreError> {
        crate::write!(self, |pool| {
            sqlx::query(
                "INSERT INTO audit_log (id, at, actor_id, action, entity, entity_id, detail) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(Uuid::now_v7())
            .bind(now_ms())
            .bind(actor.map(|a| a.as_uuid()))
            .bind(action)
            .bind(entity)
            .bind(entity_id)
            .bind(detail.to_string())
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    /// Lists audit records, newest first.
    pub async fn audit_entries(
        &self,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let rows: Vec<AuditRow> = crate::read!(self, |pool| {
            sqlx::query_as(
                "SELECT a.at, a.actor_id, u.username AS actor_username, a.action, a.entity, \
                 a.entity_id, a.detail FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id \
                 ORDER BY a.at DESC, a.id DESC LIMIT $1 OFFSET $2",
            )
            .bind(limit)
            .bind(offset)
            .fetch_all(pool)
            .await
        })?;
        Ok(rows
            .into_iter()
            .map(|row| AuditEntry {
                at: row.at,
                actor_id: row.actor_id.map(UserId::from_uuid),
                actor_username: row.actor_username,
                action: row.action,
                entity: row.entity,
                entity_id: row.entity_id,
                detail: serde_json::from_str(&row.detail).unwrap_or(serde_json::Value::Null),
            })
            .collect())
    }
}
