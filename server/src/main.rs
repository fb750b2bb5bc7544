//! `sharepack`: with no arguments, runs the portal. `sharepack validate FILE...` checks share packs
//! from the command line (exit code 1 when any has errors), for scripts and CI pipelines.

use server::config::Settings;
use sharepack_engine::intake::read_pack;
use std::process::ExitCode;

const USAGE: &str = "usage:
  sharepack                   run the portal (settings from the environment and .env)
  sharepack validate FILE...  check share packs and print their findings
  sharepack migrate           create or update the database schema, then exit
  sharepack sandbox --addr HOST:PORT
                              run only the sandbox workspace (Unity Catalog sharing API)
  sharepack worker            run only workers (SHAREPACK_WORKERS of them, at least 1), sharing
                              the portal's database and queue
  sharepack help              show this text";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("sharepack: {error}");
            return ExitCode::from(2);
        }
    };
    match args.first().map(String::as_str) {
        None | Some("serve") => serve(settings),
        Some("validate") if args.len() > 1 => validate(&settings, &args[1..]),
        Some("migrate") => migrate(settings),
        Some("worker") => run(settings, |settings| Box::pin(server::serve_workers(settings))),
        Some("sandbox") => match args.get(1).map(String::as_str).zip(args.get(2)) {
            Some(("--addr", address)) => match address.parse() {
                Ok(address) => sandbox(settings, address),
                Err(_) => {
                    eprintln!("sharepack: `{address}` is not an address like 127.0.0.1:8090");
                    ExitCode::from(2)
                }
            },
            _ => {
                eprintln!("{USAGE}");
                ExitCode::from(2)
            }
        },
        Some("help" | "--help" | "-h") => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Some(_) => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn serve(settings: Settings) -> ExitCode {
    run(settings, |settings| Box::pin(server::serve(settings)))
}

fn sandbox(settings: Settings, address: std::net::SocketAddr) -> ExitCode {
    run(settings, move |settings| Box::pin(server::serve_sandbox(settings, address)))
}

type Serving = std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), server::StartupError>>>>;

/// Runs a server until it stops, with logging and a runtime.
fn run(settings: Settings, server: impl FnOnce(Settings) -> Serving) -> ExitCode {
    server::init_logging(settings.log_json);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("sharepack: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(server(settings)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(%error, "the portal stopped");
            ExitCode::FAILURE
        }
    }
}

/// Opening the store migrates it; useful before rolling out several instances.
fn migrate(settings: Settings) -> ExitCode {
    server::init_logging(settings.log_json);
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("sharepack: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(server::open_store(&settings)) {
        Ok(store) => {
            let tables = runtime.block_on(store.health()).unwrap_or(0);
            println!("{} database migrated: {tables} tables", store.backend());
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("sharepack: {}", sharepack_engine::store::redact(&error.to_string()));
            ExitCode::FAILURE
        }
    }
}

fn validate(settings: &Settings, files: &[String]) -> ExitCode {
    let mut failed = false;
    for file in files {
        let bytes = match std::fs::read(file) {
            Ok(bytes) => bytes,
            Err(error) => {
                eprintln!("{file}: cannot read: {error}");
                failed = true;
                continue;
            }
        };
        match read_pack(&bytes, Some(file), &settings.limits()) {
            Ok(intake) => {
                for finding in &intake.findings {
                    println!("{file}: {}: {} [{}] {}", finding.location, finding.severity.as_str(), finding.code, finding.message);
                }
                println!("{file}: {intake}");
                failed |= !intake.is_valid();
            }
            Err(error) => {
                println!("{file}: refused [{}]: {error}", error.code());
                failed = true;
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
