//! Two `sharepack migrate` processes started at once on a fresh database both succeed and leave
//! one complete schema (SQLite file, and PostgreSQL when the test server is there).

use sharepack_engine::store::testing;
use std::process::Command;

fn migrate_twice_at_once(envs: &[(&str, String)]) {
    let spawn = || {
        let mut command = Command::new(env!("CARGO_BIN_EXE_sharepack"));
        command.arg("migrate").env_remove("DATABASE_URL").env_remove("domain_db_connection_string");
        for (name, value) in envs {
            command.env(name, value);
        }
        command.output().expect("sharepack runs")
    };
    let (first, second) = std::thread::scope(|scope| {
        let first = scope.spawn(spawn);
        let second = scope.spawn(spawn);
        (first.join().unwrap(), second.join().unwrap())
    });
    for output in [first, second] {
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
        assert!(stdout.contains("database migrated: 35 tables"), "{stdout}");
    }
}

#[test]
fn two_processes_migrate_a_fresh_sqlite_database() {
    let dir = std::env::temp_dir().join(format!("sharepack-migrate-{}", uuid::Uuid::new_v4()));
    migrate_twice_at_once(&[("SHAREPACK_DATA_DIR", dir.display().to_string())]);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn two_processes_migrate_a_fresh_postgres_database() {
    let Some(server) = testing::pg_server() else { return };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let url = runtime.block_on(testing::create_database(&server)).unwrap();
    migrate_twice_at_once(&[("DATABASE_URL", url)]);
}
