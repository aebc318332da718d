//! Reference data loading (regions, agencies, classification codes) and
//! the settings table.

use serasi_domain::classification::ClassificationCode;
use serasi_domain::directory::{OrganizationFields, OrganizationKind};
use serasi_domain::refdata::{self, RefWarning};
use serasi_domain::text::fold;
use serde::Serialize;

use crate::{Store, StoreError, both_backends, rd, tx};

/// Result of a reference data load.
#[derive(Debug, Default, Serialize)]
pub struct LoadReport {
    pub organizations_added: usize,
    pub classifications_added: usize,
    #[serde(skip)]
    pub warnings: Vec<RefWarning>,
}

/// One classification code as stored.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct ClassificationRow {
    pub code: String,
    pub name: String,
    pub level: i64,
    pub parent_code: Option<String>,
}

both_backends! {
    pub(crate) async fn load_regions(conn: &mut Conn, report: &mut LoadReport) -> Result<(), StoreError> {
        let (regions, warnings) = refdata::regions().map_err(|e| StoreError::Corrupt(e.to_string()))?;
        report.warnings.extend(warnings);
        for region in regions {
            if directory_db::org_exists(conn, &region.code).await? {
                continue;
            }
            let parent_id = match &region.parent_code {
                Some(code) => Some(
                    directory_db::org_id_by_code(conn, code)
                        .await?
                        .ok_or_else(|| StoreError::Corrupt(format!("region {} has unknown parent {code}", region.code)))?,
                ),
                None => None,
            };
            let fields = OrganizationFields {
                code: Some(region.code.clone()),
                name: region_display_name(region.kind, &region.name),
                kind: region.kind,
                parent_id,
                address: None,
            };
            directory_db::insert_org(conn, &fields, false).await?;
            report.organizations_added += 1;
        }
        Ok(())
    }

    pub(crate) async fn load_agencies(conn: &mut Conn, report: &mut LoadReport) -> Result<(), StoreError> {
        let seeds = refdata::default_agencies().map_err(|e| StoreError::Corrupt(e.to_string()))?;
        for seed in seeds {
            if directory_db::org_exists(conn, &seed.code).await? {
                continue;
            }
            let parent_id = directory_db::org_id_by_code(conn, &seed.parent_code)
                .await?
                .ok_or_else(|| StoreError::Corrupt(format!("agency {} has unknown parent {}", seed.code, seed.parent_code)))?;
            let fields = OrganizationFields {
                code: Some(seed.code.clone()),
                name: seed.name.clone(),
                kind: seed.kind,
                parent_id: Some(parent_id),
                address: Some(seed.address.clone()).filter(|a| !a.is_empty()),
            };
            directory_db::insert_org(conn, &fields, false).await?;
            report.organizations_added += 1;
        }
        Ok(())
    }

    pub(crate) async fn load_classifications(conn: &mut Conn, report: &mut LoadReport) -> Result<(), StoreError> {
        let existing: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM classifications").fetch_one(&mut *conn).await?;
        let (items, warnings) = refdata::classifications().map_err(|e| StoreError::Corrupt(e.to_string()))?;
        if usize::try_from(existing).unwrap_or(0) >= items.len() {
            return Ok(());
        }
        report.warnings.extend(warnings);
        for item in items {
            let done = sqlx::query(
                "INSERT INTO classifications (code, name, name_folded, level, parent_code, sort_key) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (code) DO NOTHING",
            )
            .bind(item.code.as_str())
            .bind(&item.name)
            .bind(fold(&item.name))
            .bind(i64::try_from(item.code.level()).unwrap_or(0))
            .bind(item.parent.as_ref().map(ClassificationCode::as_str))
            .bind(item.code.sort_key())
            .execute(&mut *conn)
            .await?;
            report.classifications_added += usize::try_from(done.rows_affected()).unwrap_or(0);
        }
        Ok(())
    }

    pub(crate) async fn search_classifications(conn: &mut Conn, query: &str, limit: i64) -> Result<Vec<ClassificationRow>, StoreError> {
        let folded: String = fold(query.trim()).chars().filter(|c| !c.is_control()).collect();
        let escaped = crate::directory::like_escape(&folded);
        // The code itself and its descendants (`500.1`, `500.1.x`) rank
        // before codes that merely start with the same digits (`500.10`).
        let rows = sqlx::query_as(
            "SELECT code, name, level, parent_code FROM classifications \
             WHERE code LIKE $1 ESCAPE '\\' OR name_folded LIKE $2 ESCAPE '\\' \
             ORDER BY CASE WHEN code = $3 OR code LIKE $4 ESCAPE '\\' THEN 0 ELSE 1 END, sort_key \
             LIMIT $5",
        )
        .bind(format!("{escaped}%"))
        .bind(format!("%{escaped}%"))
        .bind(&folded)
        .bind(format!("{escaped}.%"))
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
        Ok(rows)
    }

    /// Serialises reference loads of servers starting at once. PostgreSQL
    /// takes a transaction-scoped advisory lock; SQLite has one writer
    /// connection, so its transactions are serial already.
    pub(crate) async fn lock_reference_load(conn: &mut Conn) -> Result<(), StoreError> {
        if IS_POSTGRES {
            sqlx::query("SELECT pg_advisory_xact_lock(3322)").execute(&mut *conn).await?;
        }
        Ok(())
    }

    pub(crate) async fn get_setting(conn: &mut Conn, key: &str) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar("SELECT value FROM settings WHERE key = $1").bind(key).fetch_optional(&mut *conn).await?)
    }

    pub(crate) async fn put_setting(conn: &mut Conn, key: &str, value: &str) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
            .bind(key)
            .bind(value)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }
}

/// Kemendagri lists kecamatan and villages by bare name; the directory shows
/// them with their kind, as people write them.
fn region_display_name(kind: OrganizationKind, name: &str) -> String {
    match kind {
        OrganizationKind::Regency => format!("Pemerintah {name}"),
        OrganizationKind::District => format!("Kecamatan {name}"),
        OrganizationKind::Village => format!("Desa {name}"),
        OrganizationKind::UrbanVillage => format!("Kelurahan {name}"),
        _ => name.to_owned(),
    }
}

impl Store {
    /// Loads the shipped reference data: regions, the default agencies and
    /// the classification codes. Rows already present are left alone, so a
    /// second load changes nothing and reports no warnings.
    pub async fn load_reference_data(&self) -> Result<LoadReport, StoreError> {
        tx!(self, |conn, q| {
            q::lock_reference_load(conn).await?;
            let mut report = LoadReport::default();
            q::load_regions(conn, &mut report).await?;
            q::load_agencies(conn, &mut report).await?;
            q::load_classifications(conn, &mut report).await?;
            Ok::<_, StoreError>(report)
        })
    }

    /// Finds classification codes by code prefix or part of the name.
    pub async fn search_classifications(
        &self,
        query: &str,
        limit: i64,
    ) -> Result<Vec<ClassificationRow>, StoreError> {
        rd!(self, |conn, q| q::search_classifications(
            conn, query, limit
        )
        .await)
    }

    pub async fn count_classifications(&self) -> Result<i64, StoreError> {
        let sql = "SELECT COUNT(*) FROM classifications";
        Ok(crate::read!(self, |pool| sqlx::query_scalar(sql)
            .fetch_one(pool)
            .await)?)
    }

    pub async fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        rd!(self, |conn, q| q::get_setting(conn, key).await)
    }

    pub async fn set_setting(&self, key: &str, value: &str) -> Result<(), StoreError> {
        tx!(self, |conn, q| q::put_setting(conn, key, value).await)
    }
}
