//! Store benchmark: 1,000,000 versions over 10,000 keys (100 versions each), then the time to
//! read one key's current version, its version as of a past moment, its whole history, and a
//! page of 50 current rows; then what the history pages ask (issue 15): a timeline (every
//! version with its field diff), a diff of the first and last versions, a page of 50 as of a
//! past moment, and "who could read table T then". Runs on SQLite always and on PostgreSQL when
//! `SHAREPACK_TEST_PG_URL` names a server (scripts/bench.sh starts a throwaway one).
//!
//! The million rows are loaded in bulk (multi-row inserts that build the same contiguous SCD2
//! histories the store writes); the rate of writes through `Store::write`, one transaction each,
//! is measured separately on 2,000 writes.

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::json;
use sharepack_engine::store::{now, open_end, testing, Change, Entity, PoolSettings, Store};
use std::time::{Duration, Instant};
use uuid::Uuid;

const KEYS: usize = 10_000;
const VERSIONS: usize = 100;
const ROWS_PER_INSERT: usize = 1_000;
const SAMPLES: usize = 500;
/// The history reads do more per call: fewer samples.
const HISTORY_SAMPLES: usize = 100;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(async {
        println!("store benchmark: {} versions over {KEYS} keys; reads are the median of {SAMPLES} random keys", KEYS * VERSIONS);
        println!(
            "{:<9} {:>10} {:>12} {:>10} {:>10} {:>10} {:>10}",
            "backend", "bulk load", "API writes", "current", "as of", "history", "page"
        );
        let dir = std::env::temp_dir().join(format!("sharepack-bench-{}", Uuid::new_v4()));
        let sqlite = Store::open(None, &dir, PoolSettings::default()).await.expect("sqlite");
        bench("sqlite", &sqlite).await;
        sqlite.close().await;
        let _ = std::fs::remove_dir_all(&dir);
        match testing::pg_server() {
            Some(server) => {
                let url = testing::create_database(&server).await.expect("a benchmark database");
                let postgres = Store::open(Some(&url), &std::env::temp_dir(), PoolSettings::default()).await.expect("postgres");
                bench("postgres", &postgres).await;
                postgres.close().await;
            }
            None => println!("postgres  (skipped: no SHAREPACK_TEST_PG_URL)"),
        }
    });
}

async fn bench(name: &str, store: &Store) {
    let keys: Vec<Uuid> = (0..KEYS).map(|_| Uuid::now_v7()).collect();
    // Histories start a year ago, one version an hour apart per key.
    let start = now() - TimeDelta::days(365);
    let loaded = Instant::now();
    bulk_load(store, &keys, start).await;
    let bulk = loaded.elapsed();

    let writer = Instant::now();
    let bench = sharepack_engine::identity::Actor::named(Some("bench"));
    let change = Change { by: &bench, reason: "benchmark" };
    for index in 0..2_000 {
        store.write(Entity::Share, keys[index % KEYS], &format!("share_{:05}", index % KEYS), &json!({"n": index}), &change).await.unwrap();
    }
    let writes_per_second = 2_000.0 / writer.elapsed().as_secs_f64();

    let mut rng = Lcg(42);
    let current = median(SAMPLES, || {
        let key = keys[rng.below(KEYS)];
        async move { assert!(store.current(Entity::Share, key).await.unwrap().is_some()) }
    })
    .await;
    let as_of = median(SAMPLES, || {
        let key = keys[rng.below(KEYS)];
        let moment = start + TimeDelta::hours(rng.below(VERSIONS - 1) as i64) + TimeDelta::minutes(30);
        async move { assert!(store.as_of(Entity::Share, key, moment).await.unwrap().is_some()) }
    })
    .await;
    let history = median(SAMPLES, || {
        let key = keys[rng.below(KEYS)];
        async move { assert!(store.history(Entity::Share, key).await.unwrap().len() >= VERSIONS) }
    })
    .await;
    let page = median(SAMPLES, || {
        let after = format!("share_{:05}", rng.below(KEYS - 100));
        async move { assert_eq!(store.current_page(Entity::Share, Some((&after, Uuid::nil())), 50).await.unwrap().len(), 50) }
    })
    .await;
    println!(
        "{name:<9} {:>9.1}s {:>8.0} /s {:>8.3}ms {:>8.3}ms {:>8.3}ms {:>8.3}ms",
        bulk.as_secs_f64(),
        writes_per_second,
        ms(current),
        ms(as_of),
        ms(history),
        ms(page)
    );

    // The history pages, as an auditor (who sees everything) asks them.
    use sharepack_engine::history::{self, access, Filter, Kind};
    let auditor = sharepack_engine::access::Principal::operator();
    let by = &auditor;
    let timeline = median(HISTORY_SAMPLES, || {
        let key = keys[rng.below(KEYS)].to_string();
        async move { assert!(history::timeline(store, by, Kind::Shares, &key).await.unwrap().versions.len() >= VERSIONS) }
    })
    .await;
    let diff = median(HISTORY_SAMPLES, || {
        let key = keys[rng.below(KEYS)].to_string();
        async move { assert!(!history::compare(store, by, Kind::Shares, &key, 1, VERSIONS as i64).await.unwrap().changes.is_empty()) }
    })
    .await;
    let as_of_page = median(HISTORY_SAMPLES, || {
        let moment = start + TimeDelta::hours(rng.below(VERSIONS - 1) as i64) + TimeDelta::minutes(30);
        let cursor = format!("{}.share_{:05}", Uuid::nil(), rng.below(KEYS - 100));
        let filter = Filter { as_of: Some(moment.to_rfc3339()), cursor: Some(cursor), ..Filter::default() };
        async move { assert_eq!(history::list(store, by, Kind::Shares, &filter).await.unwrap().rows.len(), 50) }
    })
    .await;
    let who = median(HISTORY_SAMPLES, || {
        let moment = start + TimeDelta::hours(rng.below(VERSIONS - 1) as i64) + TimeDelta::minutes(30);
        let table = format!("catalog.schema.t{}", rng.below(TABLES));
        async move {
            let answer = access::access(store, by, &access::Question::Table(table), moment).await.unwrap();
            assert!(!answer.access.is_empty(), "every table is in some share");
        }
    })
    .await;
    println!(
        "{name:<9} history: timeline of {VERSIONS} {:>8.3}ms   diff v1..v{VERSIONS} {:>8.3}ms   page of 50 as of {:>8.3}ms   who could read {:>8.3}ms",
        ms(timeline),
        ms(diff),
        ms(as_of_page),
        ms(who)
    );
}

/// Tables the shares hold: each in `KEYS / TABLES` shares.
const TABLES: usize = 1_000;

/// What version `version` of share `index` holds: a table of its own, one that changes with the
/// version, two recipients of which one changes, as the orchestrator records shares.
fn share_data(index: usize, version: usize) -> serde_json::Value {
    json!({
        "name": format!("share_{index:05}"),
        "comment": format!("version {version}"),
        "objects": [format!("catalog.schema.t{}", index % TABLES), format!("catalog.schema.v{}", version % 20)],
        "recipients": [format!("r{}", index % 500), format!("r{}", (index + version) % 500)],
        "workspace_url": "https://adb-1.azuredatabricks.net",
    })
}

/// Inserts `VERSIONS` contiguous versions for every key, `ROWS_PER_INSERT` rows a statement.
async fn bulk_load(store: &Store, keys: &[Uuid], start: DateTime<Utc>) {
    let rows: Vec<(Uuid, usize)> = keys.iter().flat_map(|key| (1..=VERSIONS).map(move |version| (*key, version))).collect();
    let names: std::collections::HashMap<Uuid, String> =
        keys.iter().enumerate().map(|(index, key)| (*key, format!("share_{index:05}"))).collect();
    let indexes: std::collections::HashMap<Uuid, usize> = keys.iter().enumerate().map(|(index, key)| (*key, index)).collect();
    // One transaction per 100 statements: SQLite would otherwise sync the WAL after each.
    for batch in rows.chunks(ROWS_PER_INSERT * 100) {
        let mut transaction = match store {
            Store::Postgres(pool) => Transaction::Postgres(pool.begin().await.unwrap()),
            Store::Sqlite(pool) => Transaction::Sqlite(pool.begin().await.unwrap()),
        };
        for chunk in batch.chunks(ROWS_PER_INSERT) {
            let placeholders: Vec<String> = (0..chunk.len())
                .map(|row| {
                    let base = row * 9;
                    format!(
                        "(${}, ${}, ${}, ${}, ${}, ${}, ${}, FALSE, ${}, ${}, 'bulk')",
                        base + 1,
                        base + 2,
                        base + 3,
                        base + 4,
                        base + 5,
                        base + 6,
                        base + 7,
                        base + 8,
                        base + 9
                    )
                })
                .collect();
            let sql = format!(
            "INSERT INTO shares (record_id, share_id, name, data, effective_from, effective_to, is_current, is_deleted, version, created_by, change_reason) VALUES {}",
            placeholders.join(", ")
        );
            let time = |version: usize| start + TimeDelta::hours(version as i64 - 1);
            match &mut transaction {
                Transaction::Postgres(tx) => {
                    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
                    for (key, version) in chunk {
                        let to = if *version == VERSIONS { open_end() } else { time(version + 1) };
                        query = query
                            .bind(Uuid::now_v7())
                            .bind(*key)
                            .bind(&names[key])
                            .bind(sqlx::types::Json(share_data(indexes[key], *version)))
                            .bind(time(*version))
                            .bind(to)
                            .bind(*version == VERSIONS)
                            .bind(*version as i64)
                            .bind("bench");
                    }
                    query.execute(&mut **tx).await.unwrap();
                }
                Transaction::Sqlite(tx) => {
                    let text = |t: DateTime<Utc>| t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
                    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
                    for (key, version) in chunk {
                        let to = if *version == VERSIONS { open_end() } else { time(version + 1) };
                        query = query
                            .bind(Uuid::now_v7())
                            .bind(*key)
                            .bind(&names[key])
                            .bind(share_data(indexes[key], *version).to_string())
                            .bind(text(time(*version)))
                            .bind(text(to))
                            .bind(*version == VERSIONS)
                            .bind(*version as i64)
                            .bind("bench");
                    }
                    query.execute(&mut **tx).await.unwrap();
                }
            }
        }
        match transaction {
            Transaction::Postgres(tx) => tx.commit().await.unwrap(),
            Transaction::Sqlite(tx) => tx.commit().await.unwrap(),
        }
    }
    if let Store::Postgres(pool) = store {
        sqlx::query("ANALYZE shares").execute(pool).await.unwrap();
    }
}

enum Transaction {
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
}

async fn median<F, Fut>(samples: usize, mut next: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut times = Vec::with_capacity(samples);
    for _ in 0..samples {
        let started = Instant::now();
        next().await;
        times.push(started.elapsed());
    }
    times.sort();
    times[samples / 2]
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// A small deterministic generator, so runs sample the same keys.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, bound: usize) -> usize {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % bound
    }
}
