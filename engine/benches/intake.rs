//! Intake benchmark: parse and validate a large share pack (500 recipients, 200 shares, 20,000 data
//! objects) from YAML and from Excel, and print the time and the peak heap memory of each.
//!
//! Run with `cargo bench -p sharepack-engine --bench intake`. Peak memory is measured by a
//! counting global allocator: the most bytes live at once during one intake, above what was live
//! before it started. Figures are recorded in BENCHMARKS.md.

use sharepack_engine::intake::{read_pack, Limits};
use sharepack_engine::templates::write_workbook;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

#[path = "counting/mod.rs"]
mod counting;

#[global_allocator]
static ALLOCATOR: counting::Counting = counting::Counting;

const RECIPIENTS: usize = 500;
const SHARES: usize = 200;
const OBJECTS_PER_SHARE: usize = 100;

/// A large, valid pack: half D2O recipients with IP lists, half D2D; every share granted to three
/// recipients; every tenth object detailed (shared_as, history, a partition).
fn large_yaml() -> String {
    let mut yaml = String::from(
        "metadata:\n  requestor: bench@example.com\n  project_name: Benchmark\n  business_line: Performance\n  strategy: NEW\nrecipient:\n",
    );
    for index in 0..RECIPIENTS {
        if index.is_multiple_of(2) {
            let _ = writeln!(yaml, "  - name: partner-{index}\n    type: D2O\n    email: partner{index}@example.org\n    allowed_ips: [203.0.{}.0/24, 198.51.100.{}]\n    comment: Partner {index}", index % 256, index % 256);
        } else {
            let _ = writeln!(
                yaml,
                "  - name: workspace-{index}\n    type: D2D\n    metastore_id: azure:westeurope:{:08x}-4b5a-4c6d-8e7f-0a1b2c3d4e5f",
                index
            );
        }
    }
    yaml.push_str("share:\n");
    for share in 0..SHARES {
        let grants: Vec<String> = (0..3)
            .map(|k| {
                let index = (share * 3 + k) % RECIPIENTS;
                if index.is_multiple_of(2) {
                    format!("partner-{index}")
                } else {
                    format!("workspace-{index}")
                }
            })
            .collect();
        let _ = writeln!(
            yaml,
            "  - name: share_{share}\n    comment: Share {share}\n    recipients: [{}]\n    data_objects:",
            grants.join(", ")
        );
        for object in 0..OBJECTS_PER_SHARE {
            if object % 10 == 0 {
                let _ = writeln!(yaml, "      - name: catalog_{share}.schema_{}.table_{object}\n        shared_as: s{share}.t{object}\n        history_sharing: true\n        partitions: [\"region = 'EU'\"]", object % 7);
            } else {
                let _ = writeln!(yaml, "      - catalog_{share}.schema_{}.table_{object}", object % 7);
            }
        }
    }
    yaml
}

struct Figures {
    median: Duration,
    fastest: Duration,
    peak_bytes: usize,
}

fn measure(bytes: &[u8], name: &str, runs: usize) -> Figures {
    let limits = Limits { max_file_bytes: 64 * 1024 * 1024, ..Limits::default() };
    let mut times = Vec::new();
    let mut peak_bytes = 0;
    for _ in 0..runs {
        let before = counting::start();
        let started = Instant::now();
        let intake = read_pack(bytes, Some(name), &limits).expect("the benchmark pack reads");
        times.push(started.elapsed());
        peak_bytes = peak_bytes.max(counting::peak_since(before));
        let pack = intake.pack.as_ref().expect("a pack");
        assert_eq!((pack.recipients.len(), pack.shares.len(), pack.data_object_count()), (RECIPIENTS, SHARES, SHARES * OBJECTS_PER_SHARE));
        assert!(intake.is_valid(), "{name}: {:?}", intake.findings.iter().find(|f| f.is_error()));
        drop(intake);
    }
    times.sort();
    Figures { median: times[times.len() / 2], fastest: times[0], peak_bytes }
}

fn main() {
    // `cargo bench` passes `--bench`; any other argument filters nothing here.
    let runs = std::env::var("SHAREPACK_BENCH_RUNS").ok().and_then(|runs| runs.parse().ok()).unwrap_or(7);
    let yaml = large_yaml();
    let limits = Limits { max_file_bytes: 64 * 1024 * 1024, ..Limits::default() };
    let pack = read_pack(yaml.as_bytes(), None, &limits).expect("reads").pack.expect("pack");
    let xlsx = write_workbook(&pack, false).expect("writes the workbook");
    drop(pack);
    println!("intake benchmark: {RECIPIENTS} recipients, {SHARES} shares, {} data objects, {runs} runs each", SHARES * OBJECTS_PER_SHARE);
    println!("{:<6} {:>10} {:>12} {:>12} {:>14}", "format", "file", "median", "fastest", "peak heap");
    for (format, bytes, name) in [("YAML", yaml.as_bytes(), "large.yaml"), ("Excel", xlsx.as_slice(), "large.xlsx")] {
        let figures = measure(bytes, name, runs);
        println!(
            "{format:<6} {:>8.1} KiB {:>9.1} ms {:>9.1} ms {:>10.1} MiB",
            bytes.len() as f64 / 1024.0,
            figures.median.as_secs_f64() * 1000.0,
            figures.fastest.as_secs_f64() * 1000.0,
            figures.peak_bytes as f64 / (1024.0 * 1024.0)
        );
    }
}
