//! `switchboard credits verify [--workspace ws_…]`: recomputes each
//! workspace's balance from its ledger and prints every difference.
use anyhow::Context;
use switchboard_core::WorkspaceId;
use switchboard_db::fetch_all;

use super::ledger;
use crate::config::Config;

/// The workspace `--workspace` names, or every workspace: what the
/// `verify` commands check.
pub async fn workspace_ids(db: &switchboard_db::Db, workspace: Option<&str>) -> anyhow::Result<Vec<WorkspaceId>> {
    Ok(match workspace {
        Some(id) => vec![id.trim().parse().map_err(|_| anyhow::anyhow!("{id:?} is not a workspace ID (ws_…)"))?],
        None => fetch_all!(db, (String,), "SELECT id FROM workspaces ORDER BY id")?
            .into_iter()
            .map(|(id,)| id.parse().with_context(|| format!("stored workspace ID {id:?}")))
            .collect::<anyhow::Result<_>>()?,
    })
}

/// Verifies one workspace's balance, or every workspace's; a line per
/// workspace, then one per difference. `Ok(false)` when any differs.
pub async fn verify(config: &Config, workspace: Option<&str>) -> anyhow::Result<bool> {
    let db = crate::server::connect(config).await?;
    let ids = workspace_ids(&db, workspace).await?;
    let mut all_ok = true;
    for ws in ids {
        let mut tx = db.begin().await?;
        let report = ledger::verify(&mut tx, &ws).await?;
        tx.rollback().await?;
        let balance = crate::web::format::credits(switchboard_core::Credits::from_millis(
            report.computed_cycle.saturating_add(report.computed_top_up),
        ));
        if report.ok() {
            println!("{ws}: ok, {} entries, balance {balance}", report.entries);
        } else {
            all_ok = false;
            println!("{ws}: DIFFERS ({} entries, the entries sum to {balance})", report.entries);
            for difference in &report.differences {
                println!("  {difference}");
            }
        }
    }
    Ok(all_ok)
}
