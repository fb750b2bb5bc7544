//! Test support: fresh PostgreSQL databases on a throwaway server (the test command starts one
//! and names it in `SHAREPACK_TEST_PG_URL`).

use super::{PoolSettings, Result, Store};
use uuid::Uuid;

/// The test server's URL, or `None` (with a note) when PostgreSQL tests are not wanted.
/// Panics when `SHAREPACK_REQUIRE_PG` is set without a server, so CI cannot skip them silently.
pub fn pg_server() -> Option<String> {
    match std::env::var("SHAREPACK_TEST_PG_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(std::env::var("SHAREPACK_REQUIRE_PG").is_err(), "SHAREPACK_REQUIRE_PG is set but SHAREPACK_TEST_PG_URL is not");
            eprintln!("PostgreSQL tests skipped: set SHAREPACK_TEST_PG_URL (scripts/test.sh does)");
            None
        }
    }
}

/// Creates an empty database on the server at `server_url` and returns its URL.
pub async fn create_database(server_url: &str) -> Result<String> {
    let name = format!("sharepack_test_{}", Uuid::new_v4().simple());
    let admin = sqlx::postgres::PgPoolOptions::new().max_connections(1).connect(server_url).await?;
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&admin).await?;
    admin.close().await;
    let base = server_url.rsplit_once('/').map(|(base, _)| base).unwrap_or(server_url);
    Ok(format!("{base}/{name}"))
}

/// A migrated store on a new database of the test server, if there is one.
pub async fn fresh_postgres(pool: PoolSettings) -> Option<(Store, String)> {
    let server = pg_server()?;
    let url = create_database(&server).await.expect("the PostgreSQL test server answers");
    let store = Store::open(Some(&url), &std::env::temp_dir(), pool).await.expect("opens and migrates");
    Some((store, url))
}
