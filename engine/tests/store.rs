//! The store's contract, run against both backends: SQLite always, PostgreSQL at
//! `SHAREPACK_TEST_PG_URL` (a server URL whose user may create databases; `scripts/test.sh`
//! starts a throwaway server and sets it, together with `SHAREPACK_TEST_REQUIRE_PG=1` so that CI
//! cannot silently skip PostgreSQL). Each test gets a fresh database.

use chrono::{DateTime, Utc};
use proptest::prelude::*;
use serde_json::json;
use sharepack_engine::identity::Actor;
use sharepack_engine::store::{testing, Change, Entity, PoolSettings, Store, StoreError, Version};
use std::path::PathBuf;
use uuid::Uuid;

const TABLES: u32 = 35;

/// A fresh database on one backend; the SQLite file is removed afterwards.
struct Fresh {
    store: Store,
    dir: PathBuf,
    url: Option<String>,
}

impl Drop for Fresh {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

use testing::Stack;

/// A URL for a new, empty database on the test server.
async fn fresh_pg_database() -> Option<String> {
    let server = testing::pg_server()?;
    Some(testing::create_database(&server).await.expect("the PostgreSQL test server answers"))
}

async fn fresh(backend: Stack) -> Option<Fresh> {
    let dir = std::env::temp_dir().join(format!("sharepack-store-{}", Uuid::new_v4()));
    let url = match backend {
        Stack::Embedded => None,
        Stack::Production => Some(fresh_pg_database().await?),
    };
    let store = Store::open(url.as_deref(), &dir, PoolSettings::default()).await.expect("opens and migrates");
    Some(Fresh { store, dir, url })
}

static ALICE_ID: std::sync::LazyLock<Actor> = std::sync::LazyLock::new(|| Actor::named(Some("alice@example.com")));
static BOB_ID: std::sync::LazyLock<Actor> = std::sync::LazyLock::new(|| Actor::named(Some("bob@example.com")));
static CAROL_ID: std::sync::LazyLock<Actor> = std::sync::LazyLock::new(|| Actor::named(Some("carol@example.com")));
static ALICE: std::sync::LazyLock<Change<'static>> = std::sync::LazyLock::new(|| Change { by: &ALICE_ID, reason: "first upload" });
static BOB: std::sync::LazyLock<Change<'static>> = std::sync::LazyLock::new(|| Change { by: &BOB_ID, reason: "added a table" });

/// Runs one async test body on a fresh store of both backends (the production stack's is
/// PostgreSQL).
macro_rules! on_both {
    ($name:ident, |$store:ident| $body:block) => {
        mod $name {
            use super::*;
            async fn run($store: &Store) $body
            async fn scenario(stack: Stack) {
                if let Some(fresh) = fresh(stack).await {
                    run(&fresh.store).await;
                }
            }
            sharepack_engine::on_both_stacks!(scenario);
        }
    };
}

/// Exactly one current version (unless never written), versions 1..=n, contiguous and
/// non-overlapping validity.
fn assert_invariants(history: &[Version]) {
    if history.is_empty() {
        return;
    }
    assert_eq!(history.iter().filter(|v| v.is_current).count(), 1, "exactly one current version");
    assert!(history.last().unwrap().is_current, "the newest version is the current one");
    for (index, version) in history.iter().enumerate() {
        assert_eq!(version.version, index as i64 + 1, "versions increase by one");
        if let Some(next) = history.get(index + 1) {
            assert_eq!(
                version.effective_to,
                Some(next.effective_from),
                "validity is contiguous (v{} to v{})",
                version.version,
                next.version
            );
            assert!(version.effective_from < next.effective_from, "validity moves forward");
        } else {
            assert_eq!(version.effective_to, None, "the current version is open-ended");
        }
    }
}

on_both!(first_write_creates_version_one, |store| {
    let key = Uuid::new_v4();
    let written = store.write(Entity::Recipient, key, "acme", &json!({"type": "D2O", "email": "a@acme.com"}), &ALICE).await.unwrap();
    assert_eq!(written.version, 1);
    let current = store.current(Entity::Recipient, key).await.unwrap().expect("current");
    assert_eq!(current, written);
    assert_eq!(current.created_by, "alice@example.com");
    assert_eq!(current.change_reason, "first upload");
    assert_eq!(current.effective_to, None);
    assert_eq!(store.current(Entity::Recipient, Uuid::new_v4()).await.unwrap(), None);
});

on_both!(a_new_version_closes_the_previous_one, |store| {
    let key = Uuid::new_v4();
    let first = store.write(Entity::Share, key, "sales", &json!({"objects": ["a.b.c"]}), &ALICE).await.unwrap();
    let second = store.write(Entity::Share, key, "sales", &json!({"objects": ["a.b.c", "a.b.d"]}), &BOB).await.unwrap();
    assert_eq!(second.version, 2);
    let history = store.history(Entity::Share, key).await.unwrap();
    assert_eq!(history.len(), 2);
    assert!(!history[0].is_current);
    assert_eq!(history[0].effective_to, Some(second.effective_from));
    assert_eq!(history[0].data, first.data, "old versions keep their data");
    assert_eq!(store.current(Entity::Share, key).await.unwrap().unwrap().version, 2);
    assert_invariants(&history);
});

on_both!(deleting_keeps_history_and_hides_the_current_row, |store| {
    let key = Uuid::new_v4();
    store.write(Entity::Project, key, "q1", &json!({"budget": 1}), &ALICE).await.unwrap();
    let before_delete = store.write(Entity::Project, key, "q1", &json!({"budget": 2}), &BOB).await.unwrap();
    let deleted = store.delete(Entity::Project, key, &Change { by: &CAROL_ID, reason: "project closed" }).await.unwrap();
    assert!(deleted.is_deleted);
    assert_eq!(deleted.data, json!({"budget": 2}), "a deletion keeps the last data");
    assert_eq!(store.current(Entity::Project, key).await.unwrap(), None);
    assert_eq!(store.as_of(Entity::Project, key, before_delete.effective_from).await.unwrap().unwrap().version, 2);
    assert!(matches!(store.delete(Entity::Project, key, &ALICE).await, Err(StoreError::NotFound { .. })));
    assert!(matches!(store.delete(Entity::Project, Uuid::new_v4(), &ALICE).await, Err(StoreError::NotFound { .. })));
    let revived = store.write(Entity::Project, key, "q1", &json!({"budget": 3}), &ALICE).await.unwrap();
    assert_eq!(revived.version, 4);
    assert_invariants(&store.history(Entity::Project, key).await.unwrap());
});

on_both!(as_of_finds_the_version_in_effect, |store| {
    let key = Uuid::new_v4();
    let before_anything: DateTime<Utc> = sharepack_engine::store::now();
    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    let one = store.write(Entity::Tenant, key, "finance", &json!({"n": 1}), &ALICE).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    let between = sharepack_engine::store::now();
    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    let two = store.write(Entity::Tenant, key, "finance", &json!({"n": 2}), &BOB).await.unwrap();
    assert_eq!(store.as_of(Entity::Tenant, key, before_anything).await.unwrap(), None);
    assert_eq!(store.as_of(Entity::Tenant, key, one.effective_from).await.unwrap().unwrap().version, 1);
    assert_eq!(store.as_of(Entity::Tenant, key, between).await.unwrap().unwrap().version, 1);
    assert_eq!(store.as_of(Entity::Tenant, key, two.effective_from).await.unwrap().unwrap().version, 2);
    assert_eq!(store.as_of(Entity::Tenant, key, sharepack_engine::store::now()).await.unwrap().unwrap().version, 2);
});

on_both!(all_as_of_takes_each_key_at_the_exact_instants, |store| {
    let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
    let one = store.write(Entity::Share, a, "as_of_a", &json!({"n": 1}), &ALICE).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    let other = store.write(Entity::Share, b, "as_of_b", &json!({"n": 1}), &ALICE).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    let two = store.write(Entity::Share, a, "as_of_a", &json!({"n": 2}), &BOB).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    let gone = store.delete(Entity::Share, b, &BOB).await.unwrap();
    let at = |time| async move {
        let mut found: Vec<(String, i64)> = store
            .all_as_of(Entity::Share, time)
            .await
            .unwrap()
            .into_iter()
            .filter(|version| version.name.starts_with("as_of_"))
            .map(|version| (version.name, version.version))
            .collect();
        found.sort();
        found
    };
    let just_before = one.effective_from - chrono::TimeDelta::microseconds(1);
    assert_eq!(at(just_before).await, [], "nothing before the first version starts");
    assert_eq!(at(one.effective_from).await, [("as_of_a".to_string(), 1)], "a version is in effect from its first instant");
    assert_eq!(at(other.effective_from).await, [("as_of_a".to_string(), 1), ("as_of_b".to_string(), 1)]);
    // The instant a version ends is the instant its successor starts: exactly one holds then.
    assert_eq!(at(two.effective_from).await, [("as_of_a".to_string(), 2), ("as_of_b".to_string(), 1)]);
    assert_eq!(at(gone.effective_from).await, [("as_of_a".to_string(), 2)], "deleted keys are left out");
});

on_both!(diff_lists_changed_fields, |store| {
    let key = Uuid::new_v4();
    store.write(Entity::Recipient, key, "acme", &json!({"email": "a@acme.com", "ips": ["1.1.1.1"], "comment": "x"}), &ALICE).await.unwrap();
    store.write(Entity::Recipient, key, "acme-corp", &json!({"email": "b@acme.com", "ips": ["1.1.1.1"]}), &BOB).await.unwrap();
    let changes = store.diff(Entity::Recipient, key, 1, 2).await.unwrap();
    let fields: Vec<&str> = changes.iter().map(|change| change.field.as_str()).collect();
    assert_eq!(fields, ["name", "comment", "email"]);
    assert_eq!(changes[2].before, Some(json!("a@acme.com")));
    assert_eq!(changes[1].after, None, "a removed field");
    assert!(matches!(store.diff(Entity::Recipient, key, 1, 9).await, Err(StoreError::NotFound { .. })));
});

on_both!(current_rows_page_by_name, |store| {
    let mut keys = Vec::new();
    for name in ["delta", "alpha", "charlie", "bravo", "echo"] {
        let key = Uuid::new_v4();
        store.write(Entity::Share, key, name, &json!({}), &ALICE).await.unwrap();
        keys.push((name, key));
    }
    let (_, echo) = keys[4];
    store.delete(Entity::Share, echo, &BOB).await.unwrap();
    let first = store.current_page(Entity::Share, None, 2).await.unwrap();
    let names: Vec<_> = first.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(names, ["alpha", "bravo"]);
    let last = first.last().unwrap();
    let second = store.current_page(Entity::Share, Some((&last.name, last.key)), 10).await.unwrap();
    let names: Vec<_> = second.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(names, ["charlie", "delta"], "deleted rows are not current rows");
});

on_both!(concurrent_writers_never_break_the_history, |store| {
    let key = Uuid::new_v4();
    let mut tasks = Vec::new();
    for writer in 0..8 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut written = 0;
            let mut conflicts = 0;
            for round in 0..6 {
                match store.write(Entity::SharePack, key, "pack", &json!({"writer": writer, "round": round}), &ALICE).await {
                    Ok(_) => written += 1,
                    Err(StoreError::Conflict { .. }) => conflicts += 1,
                    Err(other) => panic!("unexpected error: {other}"),
                }
            }
            (written, conflicts)
        }));
    }
    let mut written = 0;
    for task in tasks {
        written += task.await.unwrap().0;
    }
    let history = store.history(Entity::SharePack, key).await.unwrap();
    assert_eq!(history.len(), written, "every successful write is one version, and only those");
    assert!(written >= 40, "retries let nearly every writer through ({written} of 48)");
    assert_invariants(&history);
});

on_both!(the_database_refuses_a_second_current_row, |store| {
    let key = Uuid::new_v4();
    store.write(Entity::User, key, "ann", &json!({}), &ALICE).await.unwrap();
    let sql = "INSERT INTO users (record_id, user_id, name, data, effective_from, effective_to, is_current, is_deleted, version, created_by, change_reason) \
               VALUES ($1, $2, 'ann', '{}', $3, $4, TRUE, FALSE, 2, 'x', 'y')";
    let result = match store {
        Store::Postgres(pool) => {
            sqlx::query(sql).bind(Uuid::new_v4()).bind(key).bind(Utc::now()).bind(Utc::now()).execute(pool).await.map(|_| ())
        }
        Store::Sqlite(pool) => sqlx::query(sql)
            .bind(Uuid::new_v4())
            .bind(key)
            .bind("2030-01-01T00:00:00.000000Z")
            .bind("2030-01-01T00:00:00.000000Z")
            .execute(pool)
            .await
            .map(|_| ()),
    };
    let error = result.expect_err("a second current row must be refused by the database");
    assert!(error.as_database_error().is_some_and(|db| db.is_unique_violation()), "{error}");
});

on_both!(migrations_run_again_safely, |store| {
    assert_eq!(store.health().await.unwrap(), TABLES);
    store.migrate().await.unwrap();
    store.migrate().await.unwrap();
    assert_eq!(store.health().await.unwrap(), TABLES);
});

async fn two_processes_migrate_at_once(backend: Stack) {
    let dir = std::env::temp_dir().join(format!("sharepack-migrate-{}", Uuid::new_v4()));
    let url = match backend {
        Stack::Embedded => None,
        Stack::Production => match fresh_pg_database().await {
            Some(url) => Some(url),
            None => return,
        },
    };
    let (a, b) = tokio::join!(
        Store::open(url.as_deref(), &dir, PoolSettings::default()),
        Store::open(url.as_deref(), &dir, PoolSettings::default())
    );
    let (a, b) = (a.expect("first opener migrates"), b.expect("second opener migrates"));
    assert_eq!(a.health().await.unwrap(), TABLES);
    assert_eq!(b.health().await.unwrap(), TABLES);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_openers_migrate_a_fresh_sqlite_database_at_once() {
    two_processes_migrate_at_once(Stack::Embedded).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_openers_migrate_a_fresh_postgres_database_at_once() {
    two_processes_migrate_at_once(Stack::Production).await;
}

#[tokio::test]
async fn postgres_lives_in_the_deltashare_schema() {
    let Some(fresh) = fresh(Stack::Production).await else { return };
    let Store::Postgres(pool) = &fresh.store else { unreachable!() };
    let tables: Vec<String> =
        sqlx::query_scalar("SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'deltashare' ORDER BY 1")
            .fetch_all(pool)
            .await
            .unwrap();
    for table in ["tenants", "share_packs", "recipients", "shares", "audit_trail", "job_metrics", "queue_messages"] {
        assert!(tables.iter().any(|t| t == table), "{table} missing from {tables:?}");
    }
    assert!(fresh.url.is_some());
}

/// One operation of a random history.
#[derive(Debug, Clone)]
enum Op {
    Write { key: usize, value: u8 },
    Delete { key: usize },
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec(
        prop_oneof![4 => (0..3usize, any::<u8>()).prop_map(|(key, value)| Op::Write { key, value }), 1 => (0..3usize).prop_map(|key| Op::Delete { key })],
        1..25,
    )
}

/// Applies random writes and deletes; after each, every key's history satisfies the invariants
/// and never rewrites what was there (only the previous current version gets closed).
async fn random_histories(store: &Store, ops: Vec<Op>) {
    let keys: Vec<Uuid> = (0..3).map(|_| Uuid::new_v4()).collect();
    let mut seen: Vec<Vec<Version>> = vec![Vec::new(); 3];
    for op in ops {
        let (index, result) = match op {
            Op::Write { key, value } => (key, store.write(Entity::Pipeline, keys[key], "p", &json!({"value": value}), &ALICE).await),
            Op::Delete { key } => (key, store.delete(Entity::Pipeline, keys[key], &BOB).await),
        };
        let deleted_or_missing = seen[index].last().is_none_or(|v| v.is_deleted);
        match result {
            Ok(_) => {}
            Err(StoreError::NotFound { .. }) if matches!(op, Op::Delete { .. }) && deleted_or_missing => {}
            Err(other) => panic!("{op:?}: {other}"),
        }
        let history = store.history(Entity::Pipeline, keys[index]).await.unwrap();
        assert_invariants(&history);
        let before = &seen[index];
        assert!(history.len() >= before.len());
        for (old, new) in before.iter().zip(&history) {
            let mut closed = old.clone();
            closed.effective_to = new.effective_to;
            closed.is_current = new.is_current;
            assert_eq!(&closed, new, "history was rewritten");
        }
        seen[index] = history;
    }
}

fn run_property(backend: Stack) {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let Some(fresh) = runtime.block_on(fresh(backend)) else { return };
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig { cases: 24, ..ProptestConfig::default() });
    runner
        .run(&ops(), |ops| {
            runtime.block_on(random_histories(&fresh.store, ops));
            Ok(())
        })
        .unwrap();
}

#[test]
fn random_histories_keep_the_scd2_invariants_on_sqlite() {
    run_property(Stack::Embedded);
}

#[test]
fn random_histories_keep_the_scd2_invariants_on_postgres() {
    run_property(Stack::Production);
}

on_both!(pack_files_are_found_by_what_they_mention, |store| {
    let pack = Uuid::new_v4();
    let parsed = serde_json::json!({"Recipients": [{"Name": "Common-Partner"}]});
    let version = store.save_pack_file(pack, "p.yaml", "yaml", b"x", &parsed, "alice@example.com").await.unwrap();
    let found = store.pack_files_mentioning("\"common-partner\"").await.unwrap();
    assert_eq!(found, [(pack, version)], "found whatever the case");
    assert!(store.pack_files_mentioning("\"common_partner\"").await.unwrap().is_empty(), "an underscore is itself");
    assert!(store.delete_pack_file(pack, version, "alice@example.com").await.unwrap());
    assert!(store.pack_files_mentioning("\"common-partner\"").await.unwrap().is_empty(), "a deleted draft mentions nothing");
});
