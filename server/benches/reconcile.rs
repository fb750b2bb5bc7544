//! Reconciliation benchmark (issue 18): a drift check of a workspace holding 5,000 recipients
//! and 1,000 shares of 20,000 objects, all made by ten share packs applied through the portal
//! (upload, workers, the sandbox over HTTP). Prints the workspace calls the check made against
//! the fewest the API allows, and its wall time with no latency and at 50 ms per call (the
//! sandbox's injected latency) for each concurrency in `BENCH_CONCURRENCY` (default `8,16`);
//! then the same for an objects sync of that workspace (catalogs, schemas, tables), first and
//! again with nothing changed.
//!
//! Run with `cargo bench -p server --bench reconcile` (`BENCH_DATABASE=postgres` for
//! PostgreSQL; `scripts/bench.sh` runs it).

mod portal;

use portal::Portal;
use sharepack_engine::databricks::auth::Credentials;
use sharepack_engine::databricks::client::WorkspaceClient;
use sharepack_engine::databricks::retry::RetryPolicy;
use sharepack_engine::records::RunStatus;
use std::time::{Duration, Instant};

const PACKS: usize = 10;
const RECIPIENTS_PER_PACK: usize = 500;
const SHARES_PER_PACK: usize = 100;
const OBJECTS_PER_SHARE: usize = 20;
/// What one list page of the sandbox holds (`max_results=0` lets the server choose).
const PAGE: usize = 100;

fn table(pack: usize, share: usize, object: usize) -> String {
    format!("bench.p{pack}_s{share}.t{object}")
}

fn pack(index: usize) -> String {
    let mut yaml = format!(
        "metadata:\n  requestor: bench@example.com\n  business_line: Bench\n  project_name: Reconcile {index}\n  strategy: NEW\nrecipient:\n"
    );
    for recipient in 0..RECIPIENTS_PER_PACK {
        yaml.push_str(&format!("  - name: r{index}-{recipient:03}\n    type: D2O\n    email: r{recipient}@bench.example\n"));
    }
    yaml.push_str("share:\n");
    for share in 0..SHARES_PER_PACK {
        yaml.push_str(&format!("  - name: p{index}_s{share:03}\n    recipients:\n"));
        for k in 0..RECIPIENTS_PER_PACK / SHARES_PER_PACK {
            yaml.push_str(&format!("      - r{index}-{:03}\n", share * (RECIPIENTS_PER_PACK / SHARES_PER_PACK) + k));
        }
        yaml.push_str("    data_objects:\n");
        for object in 0..OBJECTS_PER_SHARE {
            yaml.push_str(&format!("      - {}\n", table(index, share, object)));
        }
    }
    yaml
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(async {
        let approvals = r#"{"approvals": 0, "risky_needs_one": false}"#.to_string();
        let portal = Portal::start("reconcile", &[("SHAREPACK_APPROVALS", approvals.clone())]).await;
        let tables: Vec<String> =
            (0..PACKS).flat_map(|p| (0..SHARES_PER_PACK).flat_map(move |s| (0..OBJECTS_PER_SHARE).map(move |o| table(p, s, o)))).collect();
        let names: Vec<&str> = tables.iter().map(String::as_str).collect();
        sharepack_engine::sandbox::Sandbox::new(portal.store.clone(), "sandbox", "").seed(&names).await.unwrap();

        let started = Instant::now();
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let orchestrator = server::orchestrator(&portal.settings, portal.store.clone(), portal.workspaces.clone());
        let mut workers = server::spawn_workers(&portal.settings, 2, portal.queue.clone(), orchestrator, stopped);
        for index in 0..PACKS {
            let (_, run) = portal.upload(pack(index)).await;
            let id = uuid::Uuid::parse_str(&run).unwrap();
            loop {
                let state = portal.store.load_run(id).await.unwrap().unwrap();
                if state.status.is_terminal() {
                    assert_eq!(state.status, RunStatus::Completed, "{state:?}");
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        let _ = stop.send(true);
        while workers.join_next().await.is_some() {}
        let (recipients, shares) = (PACKS * RECIPIENTS_PER_PACK, PACKS * SHARES_PER_PACK);
        println!(
            "reconciliation benchmark: {PACKS} share packs applied ({recipients} recipients, {shares} shares, {} objects) in {:.0} s, {}",
            tables.len(),
            started.elapsed().as_secs_f64(),
            portal.database
        );
        let fewest = 1 + recipients.div_ceil(PAGE) + shares.div_ceil(PAGE) + 2 * shares;
        let workspace = portal.workspaces.default_workspace();

        let check = |client: WorkspaceClient, label: String| {
            let (store, url) = (portal.store.clone(), workspace.url.clone());
            async move {
                let started = Instant::now();
                let report = sharepack_engine::drift::check::reconcile(&store, &url, &client, uuid::Uuid::now_v7()).await.unwrap();
                let elapsed = started.elapsed();
                assert_eq!(report.packs, PACKS);
                assert_eq!(report.new + report.changed + report.resolved, 0, "an untouched workspace has no drift: {report:?}");
                println!(
                    "{label}: {:.2} s, {} workspace calls (the fewest the API allows: {fewest}: 1 metastore, {} + {} list pages, 2 per share), {} resources compared",
                    elapsed.as_secs_f64(),
                    report.calls,
                    recipients.div_ceil(PAGE),
                    shares.div_ceil(PAGE),
                    report.compared
                );
            }
        };
        let sandbox = |address: std::net::SocketAddr, concurrency: usize| {
            WorkspaceClient::new(&format!("http://{address}/sandbox"), Credentials::Pat("dapi-sandbox".to_string().into()), RetryPolicy::default())
                .unwrap()
                .with_concurrency(concurrency)
        };
        check(sandbox(portal.address, 16), "no latency, 16 at once".into()).await;

        // The same database served again with 50 ms added to every sandbox call.
        let vars: Vec<(String, String)> = vec![
            ("SHAREPACK_DATA_DIR".into(), portal.settings.data_dir.display().to_string()),
            ("SHAREPACK_SANDBOX_FAULTS".into(), "latency_ms=50".into()),
            ("SHAREPACK_DRIFT_MINUTES".into(), "0".into()),
            ("SHAREPACK_SYNC_MINUTES".into(), "0".into()),
        ];
        let slow = server::config::Settings::from_vars(vars).unwrap();
        let router = server::build_with(&slow, portal.store.clone(), portal.workspaces.clone(), portal.queue.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        let concurrencies: Vec<usize> = std::env::var("BENCH_CONCURRENCY")
            .map(|text| text.split(',').filter_map(|n| n.trim().parse().ok()).collect())
            .unwrap_or_else(|_| vec![8, 16]);
        for &concurrency in &concurrencies {
            let bound = (recipients.div_ceil(PAGE) as f64).max(shares.div_ceil(PAGE) as f64 + (2 * shares) as f64 / concurrency as f64) * 0.050;
            check(sandbox(address, concurrency), format!("50 ms per call, {concurrency} at once (bound by the calls: {bound:.2} s)")).await;
        }

        // The objects sync of the same workspace: 3 catalogs, their schemas (the bench catalog's
        // 1,000, one per share) and every schema's tables. The fewest calls: one catalogs page,
        // each catalog's schema pages, each schema's table pages.
        let schemas: Vec<(String, usize)> = {
            let mut by_schema = std::collections::BTreeMap::<String, usize>::new();
            for name in sharepack_engine::sandbox::SEED_TABLES.iter().map(|name| name.to_string()).chain(tables.iter().cloned()) {
                let schema = name.rsplit_once('.').map(|(schema, _)| schema.to_string()).unwrap_or_default();
                *by_schema.entry(schema).or_default() += 1;
            }
            by_schema.into_iter().collect()
        };
        let catalogs: std::collections::BTreeMap<String, usize> = schemas.iter().fold(Default::default(), |mut catalogs, (schema, _)| {
            *catalogs.entry(schema.split('.').next().unwrap_or_default().to_string()).or_default() += 1;
            catalogs
        });
        let fewest_sync = catalogs.len().div_ceil(PAGE)
            + catalogs.values().map(|count| count.div_ceil(PAGE)).sum::<usize>()
            + schemas.iter().map(|(_, count)| count.div_ceil(PAGE)).sum::<usize>();
        let objects = catalogs.len() + schemas.len() + tables.len() + sharepack_engine::sandbox::SEED_TABLES.len();
        let sync = |client: WorkspaceClient, label: String| {
            let (store, url) = (portal.store.clone(), workspace.url.clone());
            async move {
                let started = Instant::now();
                let report = sharepack_engine::sync::objects::sync(&store, &url, &client, uuid::Uuid::now_v7()).await.unwrap();
                assert_eq!(report.seen, objects, "{report:?}");
                println!(
                    "objects sync, {label}: {:.2} s, {} workspace calls (the fewest the API allows: {fewest_sync}), {} objects, {} versions written",
                    started.elapsed().as_secs_f64(),
                    report.calls,
                    report.seen,
                    report.added + report.changed + report.removed
                );
            }
        };
        sync(sandbox(portal.address, 16), "first, no latency, 16 at once".into()).await;
        sync(sandbox(portal.address, 16), "again (nothing changed), no latency, 16 at once".into()).await;
        for &concurrency in &concurrencies {
            sync(sandbox(address, concurrency), format!("again, 50 ms per call, {concurrency} at once")).await;
        }
        portal.clean_up();
    });
}
