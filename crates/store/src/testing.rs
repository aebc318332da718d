//! Fresh databases for tests: a temporary SQLite file, or a new PostgreSQL
//! database on the server named by `SERASI_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`). The `s3` module starts a
//! local S3-compatible server.

use std::path::PathBuf;

use crate::{Backend, Store};

pub mod s3;

/// A migrated, empty database that is removed by [`TestDb::finish`].
pub struct TestDb {
    pub store: Store,
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    File(PathBuf),
    Database { admin_url: String, name: String },
}

fn admin_url() -> String {
    std::env::var("SERASI_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

impl TestDb {
    /// Creates a fresh database of the given backend.
    ///
    /// # Panics
    /// When the database cannot be created: tests have no way around that.
    pub async fn new(backend: Backend) -> TestDb {
        let suffix = uuid::Uuid::new_v4().simple().to_string();
        let (url, cleanup) = match backend {
            Backend::Sqlite => {
                let path = std::env::temp_dir().join(format!("serasi_t_{suffix}.sqlite"));
                let url = format!("sqlite:{}", path.display());
                (url, Cleanup::File(path))
            }
            Backend::Postgres => {
                let admin = admin_url();
                let name = format!("serasi_t_{suffix}");
                let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&admin)
                    .await
                    .unwrap_or_else(|e| panic!("cannot reach PostgreSQL at {admin}: {e}"));
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut conn)
                    .await
                    .unwrap_or_else(|e| panic!("cannot create database {name}: {e}"));
                let base = admin
                    .rsplit_once('/')
                    .map_or(admin.as_str(), |(base, _)| base);
                let url = format!("{base}/{name}");
                (
                    url,
                    Cleanup::Database {
                        admin_url: admin,
                        name,
                    },
                )
            }
        };
        let store = Store::connect(&url)
            .await
            .unwrap_or_else(|e| panic!("cannot open {url}: {e}"));
        store
            .migrate()
            .await
            .unwrap_or_else(|e| panic!("migration failed: {e}"));
        TestDb {
            store,
            url,
            cleanup,
        }
    }

    /// Closes the store and deletes the database.
    pub async fn finish(self) {
        self.store.close().await;
        match self.cleanup {
            Cleanup::File(path) => {
                for ext in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{ext}", path.display()));
                }
            }
            Cleanup::Database { admin_url, name } => {
                if let Ok(mut conn) =
                    <sqlx::PgConnection as sqlx::Connection>::connect(&admin_url).await
                {
                    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                    )))
                    .execute(&mut conn)
                    .await;
                }
            }
        }
    }
}

/// Defines a test module with one `#[tokio::test]` per backend, each
/// calling `$test(store).await` on a fresh database.
#[macro_export]
macro_rules! test_both_backends {
    ($($test:ident),* $(,)?) => {
        $(
            mod $test {
                #[tokio::test]
                async fn sqlite() {
                    let db = $crate::testing::TestDb::new($crate::Backend::Sqlite).await;
                    super::$test(db.store.clone()).await;
                    db.finish().await;
                }

                #[tokio::test]
                async fn postgres() {
                    let db = $crate::testing::TestDb::new($crate::Backend::Postgres).await;
                    super::$test(db.store.clone()).await;
                    db.finish().await;
                }
            }
        )*
    };
}
