//! `switchboard audit verify [--workspace ws_… [--checkpoint FILE]]` and
//! `switchboard audit checkpoint --workspace ws_…`.
use std::path::Path;

use anyhow::Context;
use switchboard_core::WorkspaceId;

use super::chain;
use super::checkpoint::{self, Checkpoint};
use crate::config::Config;
use crate::server_key::ServerKeys;

/// Verifies one workspace's chain, or every chain; prints a line per
/// workspace. With `checkpoint`, also checks that checkpoint against the
/// workspace's log. `Ok(false)` when anything is broken.
pub async fn verify(config: &Config, workspace: Option<&str>, checkpoint_file: Option<&Path>) -> anyhow::Result<bool> {
    let db = crate::server::connect(config).await?;
    let key = ServerKeys::load_or_create(&config.server_key_file)?;
    let ids: Vec<String> = match workspace {
        Some(id) => vec![parse_workspace(id)?.to_string()],
        None => chain::chained_workspaces(&db).await?,
    };
    let mut all_valid = true;
    for id in ids {
        let workspace_id: WorkspaceId = id.parse().with_context(|| format!("stored workspace ID {id:?}"))?;
        let report = chain::verify(&db, &key, &workspace_id).await?;
        match &report.first_break {
            None => println!(
                "{id}: ok, {} entries, head {} {}{}{}",
                report.entries,
                report.head_seq,
                report.head_hash,
                if report.cut_at_seq > 0 {
                    format!(" (entries up to {} removed by retention at a signed checkpoint)", report.cut_at_seq)
                } else {
                    String::new()
                },
                if report.unchained > 0 {
                    format!(" ({} older entries predate the chain)", report.unchained)
                } else {
                    String::new()
                }
            ),
            Some(broken) => {
                all_valid = false;
                println!(
                    "{id}: BROKEN at entry {} (seq {}): {}; {} entries before it match",
                    if broken.entry_id.is_empty() { "(end of log)" } else { &broken.entry_id },
                    broken.seq,
                    broken.reason,
                    report.entries
                );
            }
        }
    }
    if let (Some(path), Some(id)) = (checkpoint_file, workspace) {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let kept: Checkpoint =
            serde_json::from_str(&text).with_context(|| format!("{} is not a checkpoint", path.display()))?;
        let check =
            checkpoint::check(&db, &key, &parse_workspace(id)?, &kept).await.context("checking the checkpoint")?;
        match check.reason {
            None => println!("checkpoint at entry {} ({}): ok, nothing up to it changed", kept.seq, kept.hash),
            Some(reason) => {
                all_valid = false;
                println!("checkpoint at entry {}: NOT VALID: {reason}", kept.seq);
            }
        }
    }
    Ok(all_valid)
}

/// Prints a signed checkpoint of the workspace's chain head as JSON.
pub async fn checkpoint(config: &Config, workspace: &str) -> anyhow::Result<()> {
    let db = crate::server::connect(config).await?;
    let key = ServerKeys::load_or_create(&config.server_key_file)?;
    let now = chrono::Utc::now();
    let signed =
        checkpoint::of_head(&db, &key, &parse_workspace(workspace)?, now).await.context("signing the checkpoint")?;
    println!("{}", serde_json::to_string_pretty(&signed)?);
    Ok(())
}

fn parse_workspace(id: &str) -> anyhow::Result<WorkspaceId> {
    id.parse::<WorkspaceId>().context("--workspace must be a workspace ID (ws_…)")
}
