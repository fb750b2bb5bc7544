//! `sharepack`: with no arguments, runs the portal. Subcommands validate packs, migrate the
//! database, run workers or the sandbox alone, and administer people and tokens headlessly.
//! Arguments are parsed by clap (derive), for help, errors and completions people expect.

use clap::{Parser, Subcommand};
use server::config::Settings;
use sharepack_engine::intake::read_pack;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "sharepack", version, about = "Self-service Delta Sharing provisioning (settings from the environment and .env)")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Share packs through a portal's REST API, for pipelines: validate, plan, submit, status,
    /// wait, approve, reject (--portal and --token, or SHAREPACK_PORTAL and SHAREPACK_TOKEN).
    Pack(server::pack::PackArgs),
    #[command(flatten)]
    Local(Local),
}

/// Commands on this machine's settings (its database, queue and workspaces).
#[derive(Subcommand)]
enum Local {
    /// Run the portal (the default).
    Serve,
    /// Check share packs and print their findings (exit code 1 when any has errors).
    Validate {
        #[arg(required = true)]
        files: Vec<String>,
    },
    /// Create or update the database schema, then exit.
    Migrate,
    /// Run only the sandbox workspace (Unity Catalog sharing API).
    Sandbox {
        #[arg(long)]
        addr: std::net::SocketAddr,
    },
    /// Run only workers (SHAREPACK_WORKERS of them, at least 1), sharing the portal's database and queue.
    Worker,
    /// People and their roles.
    Users {
        #[command(subcommand)]
        command: UsersCommand,
    },
    /// API tokens for scripts and CI.
    Tokens {
        #[command(subcommand)]
        command: TokensCommand,
    },
}

#[derive(Subcommand)]
enum UsersCommand {
    /// Add a person with a role (or give someone who exists another role); prints a one-time
    /// link for a new person to set a password.
    Add {
        email: String,
        /// requester, approver, admin or auditor.
        #[arg(long)]
        role: String,
        /// The business line the role is for (every business line when left out).
        #[arg(long)]
        business_line: Option<String>,
        #[arg(long)]
        name: Option<String>,
    },
    /// Everyone, with their roles.
    List,
    /// Lock someone out at once: the account is disabled, its sessions end, its tokens are revoked.
    Disable { email: String },
}

#[derive(Subcommand)]
enum TokensCommand {
    /// Make an API token for a person; prints it once.
    Create {
        #[arg(long)]
        user: String,
        #[arg(long)]
        name: String,
        /// read, submit, approve and metrics, comma-separated.
        #[arg(long)]
        scope: String,
        /// Days until it expires (1 to 366).
        #[arg(long)]
        expires: u32,
    },
}

fn main() -> ExitCode {
    match Cli::parse().command {
        // A pipeline's command talks to a portal; this machine's settings are not its business.
        Some(Command::Pack(args)) => server::pack::run(args),
        Some(Command::Local(command)) => local(command),
        None => local(Local::Serve),
    }
}

fn local(command: Local) -> ExitCode {
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("sharepack: {error}");
            return ExitCode::from(2);
        }
    };
    match command {
        Local::Serve => run(settings, |settings| Box::pin(server::serve(settings))),
        Local::Validate { files } => validate(&settings, &files),
        Local::Migrate => migrate(settings),
        Local::Worker => run(settings, |settings| Box::pin(server::serve_workers(settings))),
        Local::Sandbox { addr } => run(settings, move |settings| Box::pin(server::serve_sandbox(settings, addr))),
        Local::Users { command } => administer(settings, move |settings| {
            Box::pin(async move {
                match command {
                    UsersCommand::Add { email, role, business_line, name } => {
                        server::cli::add_user(&settings, &email, &role, business_line.as_deref(), name.as_deref()).await
                    }
                    UsersCommand::List => server::cli::list_users(&settings).await,
                    UsersCommand::Disable { email } => server::cli::disable_user(&settings, &email).await,
                }
            })
        }),
        Local::Tokens { command: TokensCommand::Create { user, name, scope, expires } } => administer(settings, move |settings| {
            Box::pin(async move { server::cli::create_token(&settings, &user, &name, &scope, expires).await })
        }),
    }
}

type Serving = std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), server::StartupError>>>>;
type Administering = std::pin::Pin<Box<dyn std::future::Future<Output = Result<server::cli::Printed, sharepack_engine::Problem>>>>;

fn runtime() -> Option<tokio::runtime::Runtime> {
    match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => Some(runtime),
        Err(error) => {
            eprintln!("sharepack: cannot start the runtime: {error}");
            None
        }
    }
}

/// Runs a server until it stops, with logging and a runtime.
fn run(settings: Settings, server: impl FnOnce(Settings) -> Serving) -> ExitCode {
    let telemetry = match server::telemetry::init(settings.log_json, settings.traces.as_ref()) {
        Ok(telemetry) => telemetry,
        Err(error) => {
            eprintln!("sharepack: {error}");
            return ExitCode::from(2);
        }
    };
    let Some(runtime) = runtime() else { return ExitCode::FAILURE };
    let code = match runtime.block_on(server(settings)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(%error, "the portal stopped");
            ExitCode::FAILURE
        }
    };
    telemetry.shutdown();
    code
}

/// Runs an administration command: what scripts read on standard output, notes and errors
/// (the problem's sentence and hint) on standard error; exit code 1 on a refusal.
fn administer(settings: Settings, command: impl FnOnce(Settings) -> Administering) -> ExitCode {
    let Some(runtime) = runtime() else { return ExitCode::FAILURE };
    match runtime.block_on(command(settings)) {
        Ok(printed) => {
            if !printed.note.is_empty() {
                eprintln!("{}", printed.note);
            }
            if !printed.out.is_empty() {
                println!("{}", printed.out);
            }
            ExitCode::SUCCESS
        }
        Err(problem) => {
            eprintln!("sharepack: {}", problem.sentence());
            ExitCode::FAILURE
        }
    }
}

/// Opening the store migrates it; useful before rolling out several instances.
fn migrate(settings: Settings) -> ExitCode {
    if let Err(error) = server::telemetry::init(settings.log_json, None) {
        eprintln!("sharepack: {error}");
        return ExitCode::from(2);
    }
    let Some(runtime) = runtime() else { return ExitCode::FAILURE };
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
