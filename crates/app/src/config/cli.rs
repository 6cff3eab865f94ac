//! The command line: `serve` (the default) and the operator subcommands.
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use super::CommonArgs;

#[derive(Debug, Parser)]
#[command(name = "switchboard", version, about = "Workspace and settings control plane for voice-AI agent platforms")]
pub struct Cli {
    #[command(flatten)]
    pub common: CommonArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply migrations and serve the web UI and the JSON API (the default).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Manage workspace members from the command line.
    #[command(subcommand)]
    Members(MembersCommand),
    /// Check the audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Manage the server key.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Check the credits ledger.
    #[command(subcommand)]
    Credits(CreditsCommand),
    /// Run subscription renewals.
    #[command(subcommand)]
    Subscription(SubscriptionCommand),
    /// Check recorded usage.
    #[command(subcommand)]
    Usage(UsageCommand),
}

#[derive(Debug, Subcommand)]
pub enum UsageCommand {
    /// Reconcile each workspace's usage events with its usage debits in the
    /// credits ledger and with its hourly roll-ups, and print every
    /// difference; exits 1 then.
    Verify {
        /// Workspace ID (`ws_…`); every workspace when left out.
        #[arg(long)]
        workspace: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum SubscriptionCommand {
    /// Run one renewal pass now: trial reminders, then every subscription
    /// whose period (or trial) has ended, as `serve` does every 30 seconds.
    Renew,
}

#[derive(Debug, Subcommand)]
pub enum CreditsCommand {
    /// Recompute each workspace's credit balance from its ledger entries and
    /// print every difference from the stored balance; exits 1 then.
    Verify {
        /// Workspace ID (`ws_…`); every workspace when left out.
        #[arg(long)]
        workspace: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Make a new server key the current one, keep the old one in the
    /// keyring (`<server key file>.previous`) to open what it sealed and to
    /// verify its audit checkpoints, and enqueue the job that re-seals every
    /// stored secret under the new key. Restart the other processes after it.
    Rotate,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Recompute the hash chain of one workspace's audit log (or of every
    /// workspace's) and name the first entry that does not match; exits 1 then.
    Verify {
        /// Workspace ID (`ws_…`); every workspace when left out.
        #[arg(long)]
        workspace: Option<String>,
        /// Also check a checkpoint exported earlier (a JSON file from
        /// `audit checkpoint` or GET /api/v1/audit-log/checkpoint).
        #[arg(long, requires = "workspace")]
        checkpoint: Option<PathBuf>,
    },
    /// Print a signed checkpoint (JSON) of a workspace's chain head, to keep
    /// outside Switchboard and check later with `audit verify --checkpoint`.
    Checkpoint {
        /// Workspace ID (`ws_…`).
        #[arg(long)]
        workspace: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum MembersCommand {
    /// Add an existing user to a workspace with a role (audited as System).
    Add {
        /// Workspace ID (`ws_…`).
        #[arg(long)]
        workspace: String,
        /// Email address of an existing user.
        #[arg(long)]
        email: String,
        /// admin, member or viewer.
        #[arg(long, default_value = "member")]
        role: String,
    },
}
