//! Intake through the portal, side by side with the seed's parsers: `POST
//! /workflow/sharepack/validate` with the large pack (500 recipients, 200 shares of 100 tables)
//! as the seed's tools write it (`scripts/make-large-pack.py`: openpyxl in the seed's four-sheet
//! layout, PyYAML's `safe_dump`), and as Sharepack's own template writes it (a Data Objects sheet
//! of 20,000 rows). Each request is timed from the client, the answer read to its end; the
//! seed's parsers (openpyxl `load_workbook(data_only=True)` reading every row, PyYAML
//! `safe_load`) are timed in the same run by `scripts/peer-parsers.py`, and the ratio printed.
//! Peak heap is the most memory live at once during one request, above what was live before it
//! (a counting global allocator; the portal runs in this process).
//!
//! Run with `cargo bench -p server --bench validate` (needs python3 with openpyxl and PyYAML;
//! `scripts/bench.sh` installs them). `SHAREPACK_BENCH_RUNS` sets the runs per file (15).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

mod portal;

#[path = "../../engine/benches/counting/mod.rs"]
mod counting;

#[global_allocator]
static ALLOCATOR: counting::Counting = counting::Counting;

struct Figures {
    median: Duration,
    fastest: Duration,
    peak_bytes: usize,
    answer_bytes: usize,
}

/// What the seed's parser took on one file, from `scripts/peer-parsers.py`.
#[derive(serde::Deserialize)]
struct Peer {
    file: String,
    parser: String,
    median_ms: f64,
}

fn scripts() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts")
}

fn python(args: &[&str]) -> String {
    let output = std::process::Command::new("python3").args(args).output().expect("python3 runs");
    assert!(output.status.success(), "python3 {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

/// Inflated size of a workbook: what its parts take once unzipped.
fn inflated(bytes: &[u8]) -> u64 {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    (0..archive.len()).map(|index| archive.by_index(index).unwrap().size()).sum()
}

fn main() {
    let runs: usize = std::env::var("SHAREPACK_BENCH_RUNS").ok().and_then(|text| text.parse().ok()).unwrap_or(15);
    let dir = std::env::temp_dir().join(format!("sharepack-bench-validate-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    python(&[scripts().join("make-large-pack.py").to_str().unwrap(), dir.to_str().unwrap()]);
    let openpyxl = dir.join("large.openpyxl.xlsx");
    let pyyaml = dir.join("large.pyyaml.yaml");
    // The same pack in Sharepack's own layout, written by its template writer.
    let limits = sharepack_engine::intake::Limits { max_file_bytes: 64 * 1024 * 1024, ..Default::default() };
    let pack = sharepack_engine::intake::read_pack(&std::fs::read(&pyyaml).unwrap(), Some("large.yaml"), &limits).unwrap().pack.unwrap();
    let template = dir.join("large.template.xlsx");
    std::fs::write(&template, sharepack_engine::templates::write_workbook(&pack, false).unwrap()).unwrap();

    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let ours: Vec<(PathBuf, Figures)> = runtime.block_on(async {
        let portal = portal::Portal::start("validate", &[]).await;
        let (address, http) = (portal.address, &portal.http);
        let mut figures = Vec::new();
        for file in [&openpyxl, &template, &pyyaml] {
            let bytes = std::fs::read(file).unwrap();
            let name = file.file_name().unwrap().to_string_lossy().to_string();
            let mut times = Vec::new();
            let (mut peak_bytes, mut answer_bytes) = (0, 0);
            // Two warm-up requests, then the timed ones.
            for round in 0..runs + 2 {
                let form =
                    reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(bytes.clone()).file_name(name.clone()));
                let request = http.post(format!("http://{address}/workflow/sharepack/validate")).multipart(form);
                let before = counting::start();
                let started = Instant::now();
                let response = request.send().await.unwrap();
                let status = response.status().as_u16();
                let answer = response.bytes().await.unwrap();
                let took = started.elapsed();
                assert_eq!(status, 200, "{name}: {}", String::from_utf8_lossy(&answer[..answer.len().min(500)]));
                if round >= 2 {
                    times.push(took);
                    peak_bytes = peak_bytes.max(counting::peak_since(before));
                    answer_bytes = answer.len();
                }
            }
            times.sort();
            figures.push((file.clone(), Figures { median: times[times.len() / 2], fastest: times[0], peak_bytes, answer_bytes }));
        }
        portal.clean_up();
        figures
    });

    let peers: Vec<Peer> = python(&[
        scripts().join("peer-parsers.py").to_str().unwrap(),
        &runs.to_string(),
        openpyxl.to_str().unwrap(),
        pyyaml.to_str().unwrap(),
    ])
    .lines()
    .map(|line| serde_json::from_str(line).unwrap())
    .collect();

    println!("validate benchmark: POST /workflow/sharepack/validate, release build, {runs} runs per file (median / fastest), SQLite");
    for (file, figures) in &ours {
        let bytes = std::fs::read(file).unwrap();
        let name = file.file_name().unwrap().to_string_lossy();
        let size = if name.ends_with(".xlsx") {
            let inflated = inflated(&bytes);
            format!(
                "{:.0} KiB, {:.0} KiB inflated; peak heap {:.1} MiB ({:.1}x inflated)",
                bytes.len() as f64 / 1024.0,
                inflated as f64 / 1024.0,
                figures.peak_bytes as f64 / 1048576.0,
                figures.peak_bytes as f64 / inflated as f64
            )
        } else {
            format!("{:.0} KiB; peak heap {:.1} MiB", bytes.len() as f64 / 1024.0, figures.peak_bytes as f64 / 1048576.0)
        };
        println!(
            "  {name}: {:.1} ms / {:.1} ms ({size}; answer {:.0} KiB)",
            figures.median.as_secs_f64() * 1000.0,
            figures.fastest.as_secs_f64() * 1000.0,
            figures.answer_bytes as f64 / 1024.0
        );
        if let Some(peer) = peers.iter().find(|peer| Path::new(&peer.file) == file.as_path()) {
            println!(
                "    {}: {:.1} ms; Sharepack is {:.1}x as fast",
                peer.parser,
                peer.median_ms,
                peer.median_ms / (figures.median.as_secs_f64() * 1000.0)
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
