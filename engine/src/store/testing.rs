//! Test support: fresh PostgreSQL databases on a throwaway server (the test command starts one
//! and names it in `SHAREPACK_TEST_PG_URL`).

use super::{PoolSettings, Result, Store};
use uuid::Uuid;

/// The test server's URL, or `None` (with a note) when PostgreSQL tests are not wanted.
/// Panics when `SHAREPACK_TEST_REQUIRE_PG` is set without a server, so CI cannot skip them silently.
pub fn pg_server() -> Option<String> {
    match std::env::var("SHAREPACK_TEST_PG_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var("SHAREPACK_TEST_REQUIRE_PG").is_err(),
                "SHAREPACK_TEST_REQUIRE_PG is set but SHAREPACK_TEST_PG_URL is not"
            );
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

/// The two stacks every end-to-end scenario runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stack {
    /// SQLite and the embedded queue: the embedded default.
    Embedded,
    /// PostgreSQL and Azure Storage Queue (on Azurite): production.
    Production,
}

/// Azurite's connection string, or `None` (with a note) when queue tests on Azure are not
/// wanted. Panics when `SHAREPACK_TEST_REQUIRE_PG` is set without it, so CI cannot skip them silently.
pub fn azurite() -> Option<String> {
    match std::env::var("SHAREPACK_TEST_AZURITE") {
        Ok(text) if !text.is_empty() => Some(text),
        _ => {
            assert!(
                std::env::var("SHAREPACK_TEST_REQUIRE_PG").is_err(),
                "SHAREPACK_TEST_REQUIRE_PG is set but SHAREPACK_TEST_AZURITE is not"
            );
            eprintln!("Azurite tests skipped: set SHAREPACK_TEST_AZURITE (scripts/test.sh does)");
            None
        }
    }
}

/// The settings (environment variables) that put a portal or a worker on `stack`: the embedded
/// defaults, or a fresh database and a fresh queue for production. `None` to skip, when the
/// production services are not there.
///
/// Scheduled drift checks and syncs are off (`SHAREPACK_DRIFT_MINUTES=0`,
/// `SHAREPACK_SYNC_MINUTES=0`): a job queued at start-up would call the workspace and fill the
/// queue of tests about something else; the drift and sync tests ask for theirs.
pub async fn stack_vars(stack: Stack) -> Option<Vec<(String, String)>> {
    let mut vars = vec![("SHAREPACK_DRIFT_MINUTES".to_string(), "0".to_string()), ("SHAREPACK_SYNC_MINUTES".to_string(), "0".to_string())];
    match stack {
        Stack::Embedded => {}
        Stack::Production => {
            let (pg, azurite) = (pg_server()?, azurite()?);
            let url = create_database(&pg).await.expect("the PostgreSQL test server answers");
            let queue = format!("sp-{}", &Uuid::new_v4().simple().to_string()[..27]);
            vars.extend([
                ("DATABASE_URL".into(), url),
                ("azure_queue_connection_string".into(), azurite),
                ("azure_queue_name".into(), queue),
            ]);
        }
    }
    Some(vars)
}

/// A fresh, migrated store on the stack's database (SQLite in `dir`, or a new PostgreSQL
/// database); `None` to skip when PostgreSQL is not there.
pub async fn fresh_store(stack: Stack, dir: &TempDir) -> Option<Store> {
    match stack {
        Stack::Embedded => Some(Store::open(None, &dir.0, PoolSettings::default()).await.expect("SQLite opens")),
        Stack::Production => fresh_postgres(PoolSettings::default()).await.map(|(store, _)| store),
    }
}

/// Runs one async scenario (`async fn(Stack)`) on both stacks, as two tests named `embedded`
/// and `production` in a module named after the scenario.
#[macro_export]
macro_rules! on_both_stacks {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn embedded() {
                super::$name($crate::store::testing::Stack::Embedded).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn production() {
                super::$name($crate::store::testing::Stack::Production).await
            }
        }
    )+};
}

/// A directory removed when the test ends.
pub struct TempDir(pub std::path::PathBuf);

impl TempDir {
    pub fn new(prefix: &str) -> Self {
        let path = std::env::temp_dir().join(format!("{prefix}-{}", Uuid::new_v4()));
        std::fs::create_dir_all(&path).expect("a temporary directory");
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A file of `samples/`.
pub fn sample(path: &str) -> Vec<u8> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../samples");
    std::fs::read(root.join(path)).unwrap_or_else(|error| panic!("samples/{path}: {error}"))
}
