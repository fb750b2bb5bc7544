//! The files operators deploy from: the Grafana dashboard and the alert rules name only series
//! the code records (a renamed metric would leave a panel empty and an alert silent), and the
//! compose file and Dockerfile set only settings that exist (an unknown `SHAREPACK_` name stops
//! the start).

use sharepack_engine::telemetry::METRICS;
use std::collections::BTreeSet;
use std::path::Path;

fn read(file: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(file)).unwrap()
}

/// Every `sharepack_...` series name in a text.
fn series(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = text;
    while let Some(start) = rest.find("sharepack_") {
        let tail = &rest[start..];
        let end = tail.find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')).unwrap_or(tail.len());
        found.insert(tail[..end].to_string());
        rest = &tail[end..];
    }
    found
}

fn recorded(name: &str) -> bool {
    let base = ["_bucket", "_sum", "_count"].iter().find_map(|suffix| name.strip_suffix(suffix)).unwrap_or(name);
    METRICS.iter().any(|(known, _, _)| *known == name || *known == base)
}

#[test]
fn the_dashboard_and_alerts_name_only_recorded_series() {
    let dashboard = read("deploy/grafana/sharepack.json");
    let parsed: serde_json::Value = serde_json::from_str(&dashboard).expect("the dashboard is JSON");
    assert!(parsed["panels"].as_array().is_some_and(|panels| !panels.is_empty()));
    let alerts = read("deploy/prometheus/alerts.yaml");
    for (file, text) in [("dashboard", &dashboard), ("alerts", &alerts)] {
        let unknown: Vec<String> = series(text).into_iter().filter(|name| !recorded(name)).collect();
        assert!(unknown.is_empty(), "the {file} names series nothing records: {unknown:?}");
    }
    let shown = series(&dashboard);
    let missing: Vec<&str> =
        METRICS.iter().map(|(name, _, _)| *name).filter(|name| !shown.iter().any(|series| series.starts_with(name))).collect();
    assert!(missing.is_empty(), "the dashboard leaves out {missing:?}");
    for alert in ["SharepackQueueStuck", "SharepackRunFailureRateHigh", "SharepackWorkspaceUnreachable"] {
        assert!(alerts.contains(&format!("alert: {alert}")), "{alert} is among the alert rules");
    }
}

#[test]
fn compose_and_the_image_set_only_known_settings() {
    for file in ["compose.yaml", "Dockerfile"] {
        let text = read(file);
        let names: BTreeSet<String> = text
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            // `SHAREPACK_*` in a comment is no name.
            .filter(|word| word.len() > "SHAREPACK_".len() && word.to_ascii_uppercase().starts_with("SHAREPACK_"))
            .map(str::to_ascii_uppercase)
            .collect();
        assert!(!names.is_empty());
        let unknown: Vec<&String> = names.iter().filter(|name| !server::config::SETTINGS.contains(&name.as_str())).collect();
        assert!(unknown.is_empty(), "{file} sets {unknown:?}, which the portal refuses");
    }
}
