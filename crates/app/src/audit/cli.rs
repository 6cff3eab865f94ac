//! `switchboard audit verify [--workspace ws_…]`.
use anyhow::Context;
use switchboard_core::WorkspaceId;

use super::chain;
use crate::config::Config;

/// Verifies one workspace's chain, or every chain; prints a line per
/// workspace. `Ok(false)` when any chain is broken.
pub async fn verify(config: &Config, workspace: Option<&str>) -> anyhow::Result<bool> {
    let db = crate::server::connect(config).await?;
    let ids: Vec<String> = match workspace {
        Some(id) => vec![id.parse::<WorkspaceId>().context("--workspace must be a workspace ID (ws_…)")?.to_string()],
        None => chain::chained_workspaces(&db).await?,
    };
    let mut all_valid = true;
    for id in ids {
        let workspace_id: WorkspaceId = id.parse().with_context(|| format!("stored workspace ID {id:?}"))?;
        let report = chain::verify(&db, &workspace_id).await?;
        match &report.first_break {
            None => println!(
                "{id}: ok, {} entries, head {} {}{}",
                report.entries,
                report.head_seq,
                report.head_hash,
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
    Ok(all_valid)
}
