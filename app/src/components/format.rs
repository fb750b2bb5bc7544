//! Times and durations as people read them.

/// `2026-01-30 14:30:22 UTC` from RFC 3339.
/// Fractions of a second are left out: they are for comparing, not for reading.
pub fn when(text: &str) -> String {
    let text = match (text.find('.'), text.find('Z')) {
        (Some(dot), Some(zone)) if dot < zone => format!("{}{}", &text[..dot], &text[zone..]),
        _ => text.to_string(),
    };
    text.replace('T', " ").replace('Z', " UTC")
}

pub fn duration(ms: Option<i64>) -> String {
    match ms {
        None => "—".into(),
        Some(ms) if ms < 1000 => format!("{ms} ms"),
        Some(ms) => format!("{:.1} s", ms as f64 / 1000.0),
    }
}

/// `for 5 min`, `for 3 h`, `for 2 days`: how long something has waited.
pub fn age(secs: i64) -> String {
    match secs {
        s if s < 60 => "under a minute".into(),
        s if s < 3600 => format!("{} min", s / 60),
        s if s < 86_400 => format!("{} h", s / 3600),
        s if s < 2 * 86_400 => "1 day".into(),
        s => format!("{} days", s / 86_400),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn times_read_to_the_second() {
        assert_eq!(super::when("2026-01-30T14:30:22.123456Z"), "2026-01-30 14:30:22 UTC");
        assert_eq!(super::when("2026-01-30T14:30:22Z"), "2026-01-30 14:30:22 UTC");
    }
}
