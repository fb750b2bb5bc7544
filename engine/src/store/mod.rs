//! The store: everything Sharepack knows, kept with full history (SCD Type 2) on PostgreSQL in
//! production or SQLite in the embedded default, behind one API.
//!
//! Every entity table has the same shape (see `migrations/`): a row per version with the stable
//! business key, validity from/to, `is_current`, `is_deleted`, `version`, who and why, a `name`
//! for lookups and the entity's fields as JSON in `data`. So the SCD2 operations are written once
//! ([`Store::write`], [`Store::delete`], [`Store::current`], [`Store::as_of`], [`Store::history`],
//! [`Store::diff`], [`Store::current_page`]) and serve all eleven entities (and drift findings).
//!
//! Concurrency: a partial unique index allows one current row per key and a unique constraint one
//! row per (key, version); a writer that loses a race sees a constraint violation or a closed
//! predecessor and retries from a fresh read, up to [`MAX_ATTEMPTS`] times, then reports
//! [`StoreError::Conflict`].

/// Binds JSON the way the backend stores it (`JSONB` on PostgreSQL, text on SQLite).
macro_rules! bind_json {
    ($store:expr, $query:expr, $value:expr) => {
        match $store {
            $crate::store::Store::Postgres(_) => $query.bind(sqlx::types::Json($value.clone())),
            $crate::store::Store::Sqlite(_) => $query.bind($value.to_string()),
        }
    };
}

mod accounts;
mod activation_links;
mod approvals;
mod audit;
mod diff;
mod docs;
mod leases;
mod links;
mod listing;
mod migrate;
mod notifications;
mod owners;
mod pack_files;
mod runs;
mod scd2;
mod sessions;
mod share_packs;
mod steps;
mod sync_jobs;
pub mod testing;
mod tokens;
mod uploads;

pub use accounts::{normal_email, Account, Source, StoredGrant};
pub use activation_links::ACTIVATION_LINK_DAYS;
pub use approvals::StoredDecision;
pub use audit::{AuditEntry, AuditLine, AuditRecord, AuditSearch};
pub use diff::{diff_json, FieldChange};
pub use docs::Doc;
pub use links::{LinkPurpose, SignInState, StoredLink};
pub use listing::{Listed, Listing, Presence};
pub use notifications::StoredNotification;
pub use owners::{normal_line, StoredOwner};
pub use pack_files::PackFile;
pub use runs::{AskAgain, NewRun, Run};
pub use scd2::{Change, Entity, Version, MAX_ATTEMPTS};
pub use sessions::StoredSession;
pub use share_packs::SharePackVersion;
pub use steps::{NewStep, StepRecord};
pub use sync_jobs::SyncJob;
pub use tokens::StoredToken;
pub use uploads::StoredUpload;

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use serde_json::Value;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, Row, SqlitePool};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;
use uuid::Uuid;

/// `effective_to` of current versions: the end of time, so that "as of" is one range test.
pub fn open_end() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("9999-12-31T23:59:59Z").map(|t| t.with_timezone(&Utc)).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{entity} {key} does not exist")]
    NotFound { entity: &'static str, key: Uuid },
    #[error("{entity} {key} was changed by someone else {attempts} times in a row; try again")]
    Conflict { entity: &'static str, key: Uuid, attempts: u32 },
    #[error("the database cannot be reached: {0}")]
    Unavailable(#[source] sqlx::Error),
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
    #[error("migrating the database failed: {0}")]
    Migration(String),
    #[error("invalid setting: {0}")]
    Config(String),
    /// A row holds something no Sharepack version writes: trying again will not help.
    #[error("stored data cannot be read: {0}")]
    Corrupt(String),
}

impl From<crate::records::UnknownValue> for StoreError {
    fn from(error: crate::records::UnknownValue) -> Self {
        StoreError::Corrupt(error.to_string())
    }
}

impl StoreError {
    /// Whether trying again cannot help: the stored data or the setup is wrong. Everything
    /// else (the database away, a lost race, a deadlock, a busy SQLite file, an error we do not
    /// know) may pass, so work that hits it is tried again rather than given up.
    pub fn is_permanent(&self) -> bool {
        match self {
            StoreError::Corrupt(_) | StoreError::Config(_) | StoreError::Migration(_) | StoreError::NotFound { .. } => true,
            StoreError::Database(error) => matches!(
                error,
                sqlx::Error::ColumnDecode { .. }
                    | sqlx::Error::Decode(_)
                    | sqlx::Error::ColumnNotFound(_)
                    | sqlx::Error::ColumnIndexOutOfBounds { .. }
                    | sqlx::Error::TypeNotFound { .. }
            ),
            StoreError::Unavailable(_) | StoreError::Conflict { .. } => false,
        }
    }
}

impl From<StoreError> for crate::error::Problem {
    /// The cause goes to the log (redacted); the user reads what kind of failure it was.
    fn from(error: StoreError) -> Self {
        use crate::error::{Class, Problem};
        match &error {
            StoreError::Unavailable(_) => {
                tracing::warn!(error = %redact(&error.to_string()), "the database is unavailable");
                Problem::new(Class::Unavailable, "database_unavailable", "The database is unavailable right now")
                    .hint("Try again in a moment")
            }
            StoreError::Conflict { .. } => {
                Problem::new(Class::Conflict, "conflict", "Someone else changed this at the same moment").hint("Reload and try again")
            }
            _ => {
                tracing::error!(error = %redact(&error.to_string()), "store failure");
                Problem::internal("reading or writing the database")
            }
        }
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        if is_connection_failure(&error) {
            StoreError::Unavailable(error)
        } else {
            StoreError::Database(error)
        }
    }
}

/// The database could not be reached or dropped the connection, as opposed to refusing a query.
fn is_connection_failure(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Protocol(_) => true,
        // PostgreSQL class 08 (connection exception) and 57P (operator intervention: shutdown).
        sqlx::Error::Database(db) => db.code().is_some_and(|code| code.starts_with("08") || code.starts_with("57P")),
        _ => false,
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Pool sizes (the seed's defaults: 2 to 10 connections).
#[derive(Debug, Clone, Copy)]
pub struct PoolSettings {
    pub min_connections: u32,
    pub max_connections: u32,
    /// How long a caller waits for a connection before the database counts as unavailable.
    pub acquire_timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        PoolSettings { min_connections: 2, max_connections: 10, acquire_timeout: Duration::from_secs(5) }
    }
}

/// Which database, and the pool on it.
#[derive(Debug, Clone)]
pub enum Store {
    Postgres(PgPool),
    Sqlite(SqlitePool),
}

/// A timestamp as the backend stores it: native on PostgreSQL, fixed-width RFC 3339 text on
/// SQLite so that text order is time order.
pub(crate) fn sqlite_time(time: DateTime<Utc>) -> String {
    time.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// Microseconds, the precision both backends keep.
pub fn now() -> DateTime<Utc> {
    Utc::now().duration_trunc(TimeDelta::microseconds(1)).unwrap_or_else(|_| Utc::now())
}

impl Store {
    /// Opens PostgreSQL for a `postgres://` URL, otherwise a SQLite file (`sqlite:` URL or the
    /// default `<data dir>/sharepack.db`), and migrates it.
    pub async fn open(database_url: Option<&str>, data_dir: &Path, pool: PoolSettings) -> Result<Self> {
        let store = match database_url {
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                let options = PgConnectOptions::from_str(url)
                    .map_err(|error| {
                        StoreError::Config(format!("the PostgreSQL connection string is not valid ({})", redact(&error.to_string())))
                    })?
                    .options([("search_path", "deltashare,public")]);
                let pool = PgPoolOptions::new()
                    .min_connections(pool.min_connections)
                    .max_connections(pool.max_connections)
                    .acquire_timeout(pool.acquire_timeout)
                    .connect_lazy_with(options);
                Store::Postgres(pool)
            }
            Some(url) if url.starts_with("sqlite:") => Store::Sqlite(sqlite_pool(
                SqliteConnectOptions::from_str(url).map_err(|error| StoreError::Config(error.to_string()))?,
                pool,
            )),
            Some(_) => return Err(StoreError::Config("the database URL must start with postgres://, postgresql:// or sqlite:".into())),
            None => {
                std::fs::create_dir_all(data_dir)
                    .map_err(|error| StoreError::Config(format!("cannot create {}: {error}", data_dir.display())))?;
                Store::Sqlite(sqlite_pool(SqliteConnectOptions::new().filename(data_dir.join("sharepack.db")), pool))
            }
        };
        store.migrate().await?;
        Ok(store)
    }

    pub fn backend(&self) -> &'static str {
        match self {
            Store::Postgres(_) => "postgres",
            Store::Sqlite(_) => "sqlite",
        }
    }

    /// The connection pool's use now: (open, idle, most allowed).
    pub fn pool_use(&self) -> (u32, u32, u32) {
        match self {
            Store::Postgres(pool) => (pool.size(), pool.num_idle() as u32, pool.options().get_max_connections()),
            Store::Sqlite(pool) => (pool.size(), pool.num_idle() as u32, pool.options().get_max_connections()),
        }
    }

    /// Applies pending migrations; safe to run again and from several processes at once.
    pub async fn migrate(&self) -> Result<()> {
        migrate::run(self).await
    }

    /// Whether the database answers, and how many Sharepack tables it has.
    pub async fn health(&self) -> Result<u32> {
        let count: i64 =
            match self {
                Store::Postgres(pool) => sqlx::query_scalar(
                    "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'deltashare' AND table_name <> '_sqlx_migrations'",
                )
                .fetch_one(pool)
                .await?,
                Store::Sqlite(pool) => sqlx::query_scalar(
                    "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations'",
                )
                .fetch_one(pool)
                .await?,
            };
        Ok(u32::try_from(count).unwrap_or(0))
    }

    /// Closes the pool (tests and shutdown).
    pub async fn close(&self) {
        on_pool!(self, pool => pool.close().await)
    }
}

fn sqlite_pool(options: SqliteConnectOptions, pool: PoolSettings) -> SqlitePool {
    let options = options
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(10))
        .foreign_keys(true);
    SqlitePoolOptions::new()
        .min_connections(pool.min_connections)
        .max_connections(pool.max_connections)
        .acquire_timeout(pool.acquire_timeout)
        .connect_lazy_with(options)
}

/// Binds a timestamp the way the backend stores it.
pub(crate) fn bind_time<'q, DB: sqlx::Database>(
    store: &Store,
    query: sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments>,
    time: DateTime<Utc>,
) -> sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments>
where
    DateTime<Utc>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    match store {
        Store::Postgres(_) => query.bind(time),
        Store::Sqlite(_) => query.bind(sqlite_time(time)),
    }
}

/// Binds a timestamp that may be absent (NULL of the column's type on either backend).
pub(crate) fn bind_optional_time<'q, DB: sqlx::Database>(
    store: &Store,
    query: sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments>,
    time: Option<DateTime<Utc>>,
) -> sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments>
where
    Option<DateTime<Utc>>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<String>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    match store {
        Store::Postgres(_) => query.bind(time),
        Store::Sqlite(_) => query.bind(time.map(sqlite_time)),
    }
}

/// Reads JSON stored natively (PostgreSQL `jsonb`) or as text (SQLite).
pub(crate) fn json_column<R: Row>(row: &R, index: usize) -> Result<Value, sqlx::Error>
where
    usize: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> sqlx::types::Json<Value>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    match row.try_get::<sqlx::types::Json<Value>, _>(index) {
        Ok(json) => Ok(json.0),
        Err(_) => {
            let text: String = row.try_get(index)?;
            serde_json::from_str(&text).map_err(|error| sqlx::Error::Decode(Box::new(error)))
        }
    }
}

/// A JSON field of a JSON column as text, in SQL: the one place the two databases spell a JSON
/// read differently (`field` is a constant of the caller, never input).
pub(crate) fn json_text(store: &Store, column: &str, field: &str) -> String {
    match store {
        Store::Postgres(_) => format!("({column}->>'{field}')"),
        Store::Sqlite(_) => format!("json_extract({column}, '$.{field}')"),
    }
}

pub(crate) fn truncate(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((index, _)) => &text[..index],
        None => text,
    }
}

/// Connection errors can quote the URL; never let a password through.
pub fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split_inclusive(char::is_whitespace) {
        match (word.find("://"), word.rfind('@')) {
            (Some(scheme), Some(at)) if at > scheme => {
                out.push_str(&word[..scheme + 3]);
                out.push_str("***");
                out.push_str(&word[at..]);
            }
            _ => out.push_str(word),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_in_urls_are_redacted() {
        assert_eq!(redact("cannot reach postgres://app:hunter2@db:5432/x now"), "cannot reach postgres://***@db:5432/x now");
        assert_eq!(redact("no url here"), "no url here");
    }

    #[test]
    fn sqlite_times_sort_as_text() {
        let early = sqlite_time(DateTime::parse_from_rfc3339("2026-01-01T00:00:00.5Z").unwrap().with_timezone(&Utc));
        let late = sqlite_time(DateTime::parse_from_rfc3339("2026-01-01T00:00:00.49999Z").unwrap().with_timezone(&Utc));
        assert!(late < early, "{late} < {early}");
        assert_eq!(early, "2026-01-01T00:00:00.500000Z");
    }
}
