//! Databases for service tests: every test gets a fresh, migrated database of its own.
//!
//! - SQLite always: a file in a temporary directory, removed when the test ends.
//! - PostgreSQL when `TEST_DATABASE_URL` is set: a new database `mandate_t_<uuid>` created
//!   through that URL (its role needs CREATEDB) and dropped when the test ends, pass or fail.
//!
//! `db_test!(name, |db| async move { ... })` writes the test once and runs it on both:
//! it expands to a module `name` with the tests `name::sqlite` and `name::postgres`.

#![allow(dead_code)]

pub mod people;

use app::services::infra::db;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use std::future::Future;

/// Environment variable naming a PostgreSQL server for the `postgres` variants.
pub const TEST_DATABASE_URL: &str = "TEST_DATABASE_URL";

/// A fresh migrated database and whatever must be cleaned up after it.
pub struct TestDb {
    pub conn: DatabaseConnection,
    cleanup: Cleanup,
}

enum Cleanup {
    /// The directory holding the SQLite file; deleted on drop.
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    /// The server's URL and the database created on it.
    Postgres { admin_url: String, name: String },
}

/// A new SQLite database in its own temporary directory.
pub async fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = format!("sqlite://{}/t.db?mode=rwc", dir.path().display());
    let conn = db::connect(&url).await.expect("open SQLite");
    db::migrate(&conn).await.expect("migrate SQLite");
    TestDb { conn, cleanup: Cleanup::Sqlite(dir) }
}

/// A new PostgreSQL database on the server of `TEST_DATABASE_URL`, or None when it is unset.
pub async fn postgres() -> Option<TestDb> {
    let admin_url = std::env::var(TEST_DATABASE_URL).ok().filter(|u| !u.trim().is_empty())?;
    let name = format!("mandate_t_{}", uuid::Uuid::new_v4().simple());
    let admin = db::connect(&admin_url).await.expect("connect to TEST_DATABASE_URL");
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .expect("CREATE DATABASE (does the role have CREATEDB?)");
    admin.close().await.ok();
    let conn = db::connect(&with_database(&admin_url, &name)).await.expect("connect to the test database");
    db::migrate(&conn).await.expect("migrate PostgreSQL");
    Some(TestDb { conn, cleanup: Cleanup::Postgres { admin_url, name } })
}

/// `url` with its database name replaced by `name` (keeps `?query`).
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let prefix = match base.split_once("://") {
        // postgres://user:pw@host:port/db → keep everything before the last '/' after the host.
        Some((scheme, rest)) => match rest.split_once('/') {
            Some((authority, _db)) => format!("{scheme}://{authority}"),
            None => base.to_string(),
        },
        None => base.to_string(),
    };
    match query {
        Some(q) => format!("{prefix}/{name}?{q}"),
        None => format!("{prefix}/{name}"),
    }
}

impl TestDb {
    /// Runs `test` on this database, then cleans up; a failing test still drops its
    /// PostgreSQL database, and its panic is then re-raised.
    pub async fn run<F, Fut>(self, test: F)
    where
        F: FnOnce(DatabaseConnection) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let outcome = tokio::spawn(test(self.conn.clone())).await;
        self.conn.close().await.ok();
        if let Cleanup::Postgres { admin_url, name } = &self.cleanup {
            if let Ok(admin) = db::connect(admin_url).await {
                admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await.ok();
                admin.close().await.ok();
            }
        }
        if let Err(e) = outcome {
            match e.try_into_panic() {
                Ok(panic) => std::panic::resume_unwind(panic),
                Err(e) => panic!("test task did not finish: {e}"),
            }
        }
    }
}

/// One test body, run once on SQLite and once on PostgreSQL (skipped without
/// `TEST_DATABASE_URL`). The body is `|db: DatabaseConnection| async move { ... }`.
#[macro_export]
macro_rules! db_test {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                $crate::common::sqlite().await.run($body).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                match $crate::common::postgres().await {
                    Some(db) => db.run($body).await,
                    None => println!("skipped: {} not set", $crate::common::TEST_DATABASE_URL),
                }
            }
        }
    };
}

#[cfg(test)]
mod tests {
    #[test]
    fn database_name_is_replaced() {
        assert_eq!(
            super::with_database("postgres://u:p@127.0.0.1:5432/mandate_ci", "x"),
            "postgres://u:p@127.0.0.1:5432/x"
        );
        assert_eq!(
            super::with_database("postgres://u:p@h/db?sslmode=disable", "x"),
            "postgres://u:p@h/x?sslmode=disable"
        );
        assert_eq!(super::with_database("postgres://u:p@h", "x"), "postgres://u:p@h/x");
    }
}
