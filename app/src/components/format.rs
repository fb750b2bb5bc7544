//! Times and durations as people read them.

/// `2026-01-30 14:30:22 UTC` from RFC 3339.
pub fn when(text: &str) -> String {
    text.replace('T', " ").replace('Z', " UTC")
}

pub fn duration(ms: Option<i64>) -> String {
    match ms {
        None => "—".into(),
        Some(ms) if ms < 1000 => format!("{ms} ms"),
        Some(ms) => format!("{:.1} s", ms as f64 / 1000.0),
    }
}
