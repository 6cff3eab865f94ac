//! `switchboard usage verify [--workspace ws_…]`: reconciles each
//! workspace's usage events with its usage debits and its hourly roll-ups
//! (see [`super::verify`]) and prints every difference.
use switchboard_core::Credits;

use crate::config::Config;

/// A line per workspace, then one per difference. `Ok(false)` when any differs.
pub async fn verify(config: &Config, workspace: Option<&str>) -> anyhow::Result<bool> {
    let db = crate::server::connect(config).await?;
    let ids = crate::credits::cli::workspace_ids(&db, workspace).await?;
    let mut all_ok = true;
    for ws in ids {
        let mut tx = db.begin().await?;
        let report = super::verify::verify(&mut tx, &ws).await?;
        tx.rollback().await?;
        let credits = crate::web::format::credits(Credits::from_millis(report.event_credits));
        if report.ok() {
            println!(
                "{ws}: ok, {} events costing {credits} credits, {} usage debits, {} hourly roll-ups",
                report.events, report.ledger_entries, report.hourly_rows
            );
        } else {
            all_ok = false;
            println!("{ws}: DIFFERS ({} events costing {credits} credits)", report.events);
            for difference in &report.differences {
                println!("  {difference}");
            }
        }
    }
    Ok(all_ok)
}
