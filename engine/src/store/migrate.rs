//! Schema migrations, applied at startup: `migrations/postgres` (in the `deltashare` schema,
//! created if missing) or `migrations/sqlite`. Safe to run again, and from several processes at
//! once: PostgreSQL serialises them with an advisory lock; on SQLite a process that loses the
//! race re-reads what the winner applied.

use super::{Result, Store, StoreError};
use sqlx::migrate::Migrator;
use std::time::Duration;

static POSTGRES: Migrator = sqlx::migrate!("../migrations/postgres");
static SQLITE: Migrator = sqlx::migrate!("../migrations/sqlite");

/// Key of the advisory lock held while creating the schema and migrating.
const LOCK_KEY: i64 = 0x5348_5041_434B; // "SHPACK"

pub async fn run(store: &Store) -> Result<()> {
    match store {
        Store::Postgres(pool) => {
            let mut connection = pool.acquire().await?;
            sqlx::query("SELECT pg_advisory_lock($1)").bind(LOCK_KEY).execute(&mut *connection).await?;
            let result = async {
                sqlx::query("CREATE SCHEMA IF NOT EXISTS deltashare").execute(&mut *connection).await?;
                POSTGRES.run(&mut *connection).await.map_err(|error| StoreError::Migration(error.to_string()))
            }
            .await;
            sqlx::query("SELECT pg_advisory_unlock($1)").bind(LOCK_KEY).execute(&mut *connection).await?;
            result
        }
        Store::Sqlite(pool) => {
            let mut attempt = 0;
            loop {
                attempt += 1;
                match SQLITE.run(pool).await {
                    Ok(()) => return Ok(()),
                    // Another process applied the same migration first; its work is ours.
                    Err(_) if attempt < 5 => tokio::time::sleep(Duration::from_millis(50 * attempt)).await,
                    Err(error) => return Err(StoreError::Migration(error.to_string())),
                }
            }
        }
    }
}
