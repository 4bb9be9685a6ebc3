//! Databases for service tests: every test gets a fresh, migrated database of its own.
//!
//! - SQLite always: a file in a temporary directory, removed when the test ends.
//! - PostgreSQL when `TEST_DATABASE_URL` is set: a new database `mandate_t_<uuid>` created
//!   through that URL (its role needs CREATEDB) and dropped when the test ends, pass or fail
//!   (a drop guard, so a panic in the test or in its migration drops it too).
//!
//! `db_test!(name, |db| async move { ... })` writes the test once and runs it on both:
//! it expands to a module `name` with the tests `name::sqlite` and `name::postgres`.
//!
//! What a test puts in its database: `orgs::make_org` (an org and its Owner) and `people`
//! (members, grants, people with a role, their actors and request meta); `audit` reads
//! an org's audit trail back; `oidc_provider` is a real OpenID Connect provider on a local
//! port for the single sign-on tests.

#![allow(dead_code)]

pub mod audit;
pub mod desk;
pub mod oidc_provider;
pub mod orgs;
pub mod people;

use app::services::infra::db;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use std::future::Future;

/// Environment variable naming a PostgreSQL server for the `postgres` variants.
pub const TEST_DATABASE_URL: &str = "TEST_DATABASE_URL";

/// A fresh migrated database; dropping it removes the database, also when the test panics.
pub struct TestDb {
    pub conn: DatabaseConnection,
    _cleanup: Cleanup,
}

enum Cleanup {
    /// The directory holding the SQLite file; deleted on drop.
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    /// The PostgreSQL database; dropped on drop.
    Postgres(#[allow(dead_code)] PgDatabase),
}

/// A database created on a PostgreSQL server, dropped when this is dropped: after the test,
/// when it panics, and when the set-up after `CREATE DATABASE` fails.
struct PgDatabase {
    admin_url: String,
    name: String,
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        // Drop runs inside the test's runtime (also while a panic unwinds), where nothing can
        // be awaited and no runtime started: drop the database from a thread with its own
        // runtime. Never panic here: a panic while unwinding aborts the whole test binary.
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        let dropped = std::thread::spawn(move || -> Result<(), String> {
            let runtime =
                tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
            runtime.block_on(drop_database(&admin_url, &name))
        })
        .join();
        match dropped {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("test database {} was not dropped: {e}", self.name),
            Err(_) => eprintln!("test database {} was not dropped: the dropping thread panicked", self.name),
        }
    }
}

/// Ends our own sessions on `name` (a test that panicked leaves its pool open), then drops it.
/// Not `DROP DATABASE ... WITH (FORCE)`: for a role that is not a superuser it fails when an
/// autovacuum worker is in the database ("must be a member of the role whose process is being
/// terminated"), while a plain DROP makes autovacuum stop and waits for the ended sessions.
async fn drop_database(admin_url: &str, name: &str) -> Result<(), String> {
    let admin = db::connect(admin_url).await.map_err(|e| e.to_string())?;
    let dropped = async {
        admin
            .execute_unprepared(&format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE datname = '{name}' AND usename = current_user AND pid <> pg_backend_pid()"
            ))
            .await?;
        admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name}")).await
    }
    .await;
    admin.close().await.ok();
    dropped.map(|_| ()).map_err(|e| e.to_string())
}

/// A new SQLite database in its own temporary directory.
pub async fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = format!("sqlite://{}/t.db?mode=rwc", dir.path().display());
    let conn = db::connect(&url).await.expect("open SQLite");
    db::migrate(&conn).await.expect("migrate SQLite");
    TestDb { conn, _cleanup: Cleanup::Sqlite(dir) }
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
    // From here on the database is dropped whatever happens, a failing migration included.
    let database = PgDatabase { admin_url, name };
    let conn =
        db::connect(&with_database(&database.admin_url, &database.name)).await.expect("connect to the test database");
    db::migrate(&conn).await.expect("migrate PostgreSQL");
    Some(TestDb { conn, _cleanup: Cleanup::Postgres(database) })
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
    /// Runs `test` on this database, then removes the database. A test that panics removes
    /// it too: the panic unwinds through `self`, whose drop cleans up (see `PgDatabase`).
    pub async fn run<F, Fut>(self, test: F)
    where
        F: FnOnce(DatabaseConnection) -> Fut,
        Fut: Future<Output = ()>,
    {
        test(self.conn.clone()).await;
        self.conn.close().await.ok();
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
