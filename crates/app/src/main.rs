//! `switchboard`: `serve` (the default), `migrate`, `members add`, `audit verify`, `audit checkpoint`,
//! `key rotate`, `credits verify`, `subscription renew`, `usage verify`.
use clap::Parser;
use switchboard::config::{
    AuditCommand, Cli, Command, Config, CreditsCommand, KeyCommand, MembersCommand, SubscriptionCommand, UsageCommand,
};

/// mimalloc rather than the system allocator: a request allocates a few
/// dozen small objects across the runtime's threads, and glibc's malloc
/// spends a fifth of a busy server's time on them, much of it waiting on
/// its arena locks (measured with perf under `scripts/bench-api`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let config = match Config::resolve(&cli.common) {
        Ok(c) => c,
        Err(err) => {
            eprintln!("switchboard: {err:#}");
            return std::process::ExitCode::from(2);
        }
    };
    switchboard::server::init_logging(config.log_format);
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => switchboard::server::serve(config).await,
        Command::Migrate => switchboard::server::connect(&config).await.map(|_| println!("Migrations applied.")),
        Command::Members(MembersCommand::Add { workspace, email, role }) => {
            switchboard::members::cli::add(&config, &workspace, &email, &role).await
        }
        Command::Audit(AuditCommand::Verify { workspace, checkpoint }) => {
            match switchboard::audit::cli::verify(&config, workspace.as_deref(), checkpoint.as_deref()).await {
                Ok(true) => Ok(()),
                Ok(false) => return std::process::ExitCode::FAILURE,
                Err(err) => Err(err),
            }
        }
        Command::Audit(AuditCommand::Checkpoint { workspace }) => {
            switchboard::audit::cli::checkpoint(&config, &workspace).await
        }
        Command::Credits(CreditsCommand::Verify { workspace }) => {
            match switchboard::credits::cli::verify(&config, workspace.as_deref()).await {
                Ok(true) => Ok(()),
                Ok(false) => return std::process::ExitCode::FAILURE,
                Err(err) => Err(err),
            }
        }
        Command::Usage(UsageCommand::Verify { workspace }) => {
            match switchboard::usage::cli::verify(&config, workspace.as_deref()).await {
                Ok(true) => Ok(()),
                Ok(false) => return std::process::ExitCode::FAILURE,
                Err(err) => Err(err),
            }
        }
        Command::Subscription(SubscriptionCommand::Renew) => switchboard::subscription::cli::renew(&config)
            .await
            .map(|renewed| println!("{renewed} subscription period(s) renewed.")),
        Command::Key(KeyCommand::Rotate) => switchboard::key_rotation::rotate(&config).await.map(|(old, new)| {
            println!("The server key is now {new}; {old} is kept in the keyring. Re-sealing stored secrets is queued.");
        }),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("switchboard: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
