//! Logs: structured, with an env filter (`RUST_LOG`), as text or JSON lines. Secrets never reach
//! them: they live in `SecretString` and database errors pass through `store::redact`.

/// Structured logging: human-readable text by default, JSON lines with `SHAREPACK_LOG_FORMAT=json`.
pub fn init_logging(json: bool) {
    use tracing_subscriber::{fmt, EnvFilter};
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,tower_http=info"));
    if json {
        fmt().json().with_env_filter(filter).init();
    } else {
        // Colours only on a terminal: log files and collectors get plain text.
        fmt().with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout())).with_env_filter(filter).init();
    }
}
