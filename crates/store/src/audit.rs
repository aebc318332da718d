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
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub detail: serde_json::Value,
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

    /// The newest audit records first.
    pub async fn audit_entries(
        &self,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let rows: Vec<(i64, Option<Uuid>, String, String, String, String)> =
            crate::read!(self, |pool| {
                sqlx::query_as(
                    "SELECT at, actor_id, action, entity, entity_id, detail FROM audit_log \
                 ORDER BY at DESC, id DESC LIMIT $1 OFFSET $2",
                )
                .bind(limit)
                .bind(offset)
                .fetch_all(pool)
                .await
            })?;
        Ok(rows
            .into_iter()
            .map(
                |(at, actor, action, entity, entity_id, detail)| AuditEntry {
                    at,
                    actor_id: actor.map(UserId::from_uuid),
                    action,
                    entity,
                    entity_id,
                    detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::Null),
                },
            )
            .collect())
    }
}
