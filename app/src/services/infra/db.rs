//! Connecting, migrating and transaction helpers shared by every service.

use crate::domain::AppError;
use chrono::{DateTime, SubsecRound, Utc};
use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, ExecResult,
    QueryResult, SqlErr, SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait,
};
use std::time::Duration;

/// Opens the pool. For SQLite: creates the file's directory, WAL, foreign keys on,
/// `synchronous=FULL` (an acknowledged write survives a power cut) and a busy timeout so
/// concurrent writers wait instead of failing.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    let mut opts = ConnectOptions::new(url.to_string());
    opts.sqlx_logging(false).connect_timeout(Duration::from_secs(10)).acquire_timeout(Duration::from_secs(30));
    if is_sqlite(url) {
        if let Some(dir) = sqlite_file_path(url).and_then(|p| p.parent().map(|d| d.to_path_buf())) {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(&dir)
                    .map_err(|e| DbErr::Custom(format!("cannot create database directory {}: {e}", dir.display())))?;
            }
        }
        opts.max_connections(8).min_connections(1);
        opts.map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(SQLITE_BUSY_TIMEOUT)
                .create_if_missing(true)
        });
    } else {
        opts.max_connections(20).min_connections(1);
    }
    Database::connect(opts).await
}

pub fn is_sqlite(url: &str) -> bool {
    url.starts_with("sqlite:")
}

/// The file behind a `sqlite://path?query` URL (None for in-memory databases).
pub fn sqlite_file_path(url: &str) -> Option<std::path::PathBuf> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or("");
    if path.is_empty() || path == ":memory:" {
        None
    } else {
        Some(std::path::PathBuf::from(path))
    }
}

pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

/// Starts a transaction that will write. On SQLite it is `BEGIN IMMEDIATE`, taking the write
/// lock up front so two writers never deadlock upgrading read locks; on PostgreSQL the rows a
/// service locks (`SELECT … FOR UPDATE`) serialise what must be serialised.
///
/// SQLite has one writer at a time. Its busy handler makes waiting writers sleep in growing
/// steps (up to 100 ms each), so under concurrent writes the unlucky ones waited for seconds.
/// Writers therefore queue in the process first, first come first served, on one gate held
/// until commit or rollback; the busy timeout stays for writers of other processes (the CLI).
/// A writer that waits longer than the busy timeout for the gate gets the same transient
/// error as a busy database.
///
/// Called on a `WriteTx` (a service run inside a bigger change, like a configuration import)
/// it opens a savepoint of that transaction instead: the service's commit releases the
/// savepoint, and the outer transaction decides whether anything is kept.
pub async fn begin_write<C: WriteConn + ?Sized>(db: &C) -> Result<WriteTx, AppError> {
    db.write_tx().await
}

/// What a service that writes takes as its database handle: the pool (a transaction of its
/// own) or a transaction already under way (a savepoint of it, see `begin_write`).
#[async_trait::async_trait]
pub trait WriteConn: ConnectionTrait + Send + Sync {
    async fn write_tx(&self) -> Result<WriteTx, AppError>;
}

#[async_trait::async_trait]
impl WriteConn for DatabaseConnection {
    async fn write_tx(&self) -> Result<WriteTx, AppError> {
        let gate = if self.get_database_backend() == DbBackend::Sqlite {
            let wait = tokio::time::timeout(SQLITE_BUSY_TIMEOUT, SQLITE_WRITE_GATE.clone().lock_owned()).await;
            Some(
                wait.map_err(|_| AppError::from(DbErr::Custom("database is locked: waited too long to write".into())))?,
            )
        } else {
            None
        };
        let options = TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        };
        let tx = self.begin_with_options(options).await?;
        Ok(WriteTx { tx, _gate: gate })
    }
}

#[async_trait::async_trait]
impl WriteConn for WriteTx {
    async fn write_tx(&self) -> Result<WriteTx, AppError> {
        // The outer transaction holds the gate (SQLite) and its locks: a savepoint needs neither.
        Ok(WriteTx { tx: self.tx.begin().await?, _gate: None })
    }
}

const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(15);

/// The in-process queue of SQLite writers (see `begin_write`). One per process: a process
/// serves one database (tests that open several only queue a little longer).
static SQLITE_WRITE_GATE: std::sync::LazyLock<std::sync::Arc<tokio::sync::Mutex<()>>> =
    std::sync::LazyLock::new(Default::default);

/// A write transaction from `begin_write`: a `DatabaseTransaction` that, on SQLite, holds the
/// writers' gate until it commits, rolls back or is dropped.
pub struct WriteTx {
    // Declared first, so it is dropped (rollback started) before the gate opens.
    tx: DatabaseTransaction,
    _gate: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl WriteTx {
    pub async fn commit(self) -> Result<(), DbErr> {
        self.tx.commit().await
    }

    pub async fn rollback(self) -> Result<(), DbErr> {
        self.tx.rollback().await
    }

    /// A nested transaction (SQL `SAVEPOINT`): its writes are undone by its own rollback
    /// while the outer transaction goes on.
    pub async fn savepoint(&self) -> Result<DatabaseTransaction, DbErr> {
        self.tx.begin().await
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for WriteTx {
    fn get_database_backend(&self) -> DbBackend {
        self.tx.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.tx.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.tx.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.tx.query_one_raw(stmt).await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.tx.query_all_raw(stmt).await
    }

    fn support_returning(&self) -> bool {
        self.tx.support_returning()
    }
}

/// The one way a database error becomes an `AppError` (so services write `?`): logged in
/// full, shown as a generic message. A busy or locked database is transient (503) so
/// clients retry. Lives here, not in `domain`, which never sees SeaORM types.
impl From<DbErr> for AppError {
    fn from(err: DbErr) -> Self {
        let text = err.to_string();
        if text.contains("database is locked") || text.contains("could not serialize") || text.contains("deadlock") {
            tracing::warn!(error = %text, "database busy");
            return AppError::transient("The database is busy. Try again in a moment.");
        }
        tracing::error!(error = %text, "database error");
        AppError::internal()
    }
}

/// True when the error is a unique-constraint violation (as the driver reports it, on
/// either database).
pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

/// The current time at the precision both databases store (microseconds), so a value
/// read back equals the value written — the audit chain's hashes depend on it.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// Time-ordered unique ids for new rows (UUID v7 text).
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

pub fn backend(db: &DatabaseConnection) -> DbBackend {
    sea_orm::ConnectionTrait::get_database_backend(db)
}

/// A timestamp as the pages and the API show it: RFC 3339, UTC, microseconds.
pub fn rfc3339(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}
