//! Planning benchmark: the large pack (500 recipients, 200 shares, 20,000 data objects) against a
//! sandbox workspace that already holds most of it (every recipient and share, 90% of the objects
//! and grants). Prints the time to read the workspace at 50 ms per call with 1, 8 and 16 requests at once
//! (`BENCH_CONCURRENCY=1,8,16`), the calls made, and the time to plan. Run with `cargo bench -p
//! server --bench plan`.

use serde_json::json;
use server::config::Settings;
use sharepack_engine::databricks::auth::Credentials;
use sharepack_engine::databricks::client::WorkspaceClient;
use sharepack_engine::databricks::retry::RetryPolicy;
use sharepack_engine::intake::{read_pack, Limits};
use sharepack_engine::plan::{self, PlanOptions};
use std::fmt::Write as _;
use std::time::Instant;

const RECIPIENTS: usize = 500;
const SHARES: usize = 200;
const OBJECTS_PER_SHARE: usize = 100;

fn table(share: usize, object: usize) -> String {
    format!("catalog_{share}.schema_{}.table_{object}", object % 7)
}

fn recipient(index: usize) -> String {
    format!("partner-{index}")
}

fn main() {
    let mut yaml = String::from(
        "metadata: {requestor: bench@example.com, project_name: Benchmark, business_line: Performance, strategy: UPDATE}\nrecipient:\n",
    );
    for index in 0..RECIPIENTS {
        let _ = writeln!(yaml, "  - {{name: {}, type: D2O, email: p{index}@example.org}}", recipient(index));
    }
    yaml.push_str("share:\n");
    for share in 0..SHARES {
        let grants: Vec<String> = (0..3).map(|k| recipient((share * 3 + k) % RECIPIENTS)).collect();
        let _ = writeln!(yaml, "  - name: share_{share}\n    recipients: [{}]\n    data_objects:", grants.join(", "));
        for object in 0..OBJECTS_PER_SHARE {
            let _ = writeln!(yaml, "      - {}", table(share, object));
        }
    }
    let limits = Limits { max_file_bytes: 64 * 1024 * 1024, ..Limits::default() };
    let pack = read_pack(yaml.as_bytes(), None, &limits).unwrap().pack.unwrap();

    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(async {
        let dir = std::env::temp_dir().join(format!("sharepack-bench-plan-{}", uuid::Uuid::new_v4()));
        // Every sandbox call takes 50 ms, as a real workspace's would.
        let settings = Settings::from_vars([
            ("SHAREPACK_DATA_DIR".to_string(), dir.display().to_string()),
            ("SHAREPACK_SANDBOX_FAULTS".to_string(), "latency_ms=50".to_string()),
        ])
        .unwrap();
        let store = server::open_store(&settings).await.unwrap();
        let sandbox = server::sandbox_workspace(&settings, &store);
        let all_tables: Vec<String> = (0..SHARES).flat_map(|share| (0..OBJECTS_PER_SHARE).map(move |object| table(share, object))).collect();
        sandbox.seed(&all_tables.iter().map(String::as_str).collect::<Vec<_>>()).await.unwrap();
        for index in 0..RECIPIENTS {
            store.insert_doc("sandbox", "recipient", &recipient(index), &json!({"name": recipient(index), "authentication_type": "TOKEN", "properties_kvpairs": {"properties": {}}})).await.unwrap();
        }
        for share in 0..SHARES {
            let name = format!("share_{share}");
            // 90% of the objects are shared already.
            let objects: Vec<_> = (0..OBJECTS_PER_SHARE * 9 / 10).map(|object| json!({"name": table(share, object), "data_object_type": "TABLE", "status": "ACTIVE"})).collect();
            store.insert_doc("sandbox", "share", &name, &json!({"name": name, "objects": objects})).await.unwrap();
            for k in 0..2 {
                let principal = recipient((share * 3 + k) % RECIPIENTS);
                store.insert_doc("sandbox", "grant", &format!("{name}/{principal}"), &json!({"share": name, "principal": principal})).await.unwrap();
            }
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let router = server::build(&settings, store.clone(), server::open_workspaces(&settings, &store).await.unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        println!("planning benchmark: {RECIPIENTS} recipients, {SHARES} shares, {} data objects; the workspace holds 90% of the objects and 2 of 3 grants; 50 ms per call", SHARES * OBJECTS_PER_SHARE);
        let concurrencies: Vec<usize> = std::env::var("BENCH_CONCURRENCY")
            .map(|text| text.split(',').filter_map(|n| n.trim().parse().ok()).collect())
            .unwrap_or_else(|_| vec![1, 8, 16]);
        let mut snapshot = None;
        for concurrency in concurrencies {
            let client = WorkspaceClient::new(&format!("http://{address}/sandbox"), Credentials::Pat("dapi-sandbox".to_string().into()), RetryPolicy::default())
                .unwrap()
                .with_concurrency(concurrency);
            let started = Instant::now();
            snapshot = Some(plan::read::read(&client, &pack, Default::default()).await.unwrap());
            let read = started.elapsed();
            let calls = client.calls();
            let bound = 1.2 * (calls as f64 / concurrency as f64) * 0.050;
            println!(
                "read the workspace, {concurrency} at once: {:.2} s in {calls} calls (goal: at most 1.2 x calls / concurrency x 50 ms = {bound:.2} s; {:.2}x of it)",
                read.as_secs_f64(),
                read.as_secs_f64() / bound
            );
        }
        let snapshot = snapshot.expect("at least one concurrency");
        let started = Instant::now();
        let plan = plan::plan(&pack, &snapshot, PlanOptions::default());
        let planned = started.elapsed();
        assert!(!plan.has_errors(), "{:?}", plan.findings.iter().find(|f| f.is_error()));
        println!("plan: {:.1} ms; create {}, update {}, remove {}, unchanged {}", planned.as_secs_f64() * 1000.0, plan.summary.create, plan.summary.update, plan.summary.remove, plan.summary.unchanged);
        let _ = std::fs::remove_dir_all(&dir);
    });
}
