//! Recomputing a workspace's balance from its ledger entries and naming
//! every difference from the stored balance row (`GET
//! /api/v1/credits/verify`, `switchboard credits verify`).
use serde::Serialize;
use switchboard_core::{Credits, WorkspaceId};
use switchboard_db::Tx;

use super::ledger::read_balance;

/// The stored balance against the sum of the entries.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(example = json!({
    "workspace_id": "ws_01JDQ6Z8Y3K2M4N5P6Q7R8S9T0", "entries": 42, "stored_cycle": 7_400_000,
    "stored_top_up": 2_000_000, "computed_cycle": 7_400_000, "computed_top_up": 2_000_000,
    "stored_entry_count": 42, "differences": []
}))]
pub struct Verification {
    #[schema(value_type = String)]
    pub workspace_id: WorkspaceId,
    pub entries: i64,
    /// Milli-credits, as stored in the balance row.
    pub stored_cycle: i64,
    pub stored_top_up: i64,
    /// Milli-credits, summed from the entries.
    pub computed_cycle: i64,
    pub computed_top_up: i64,
    pub stored_entry_count: i64,
    /// Each difference found, in words; empty when the two agree.
    pub differences: Vec<String>,
}

impl Verification {
    pub fn ok(&self) -> bool {
        self.differences.is_empty()
    }
}

#[derive(sqlx::FromRow)]
struct Sums {
    entries: i64,
    cycle: Option<i64>,
    top_up: Option<i64>,
    total: Option<i64>,
}

/// Recomputes the workspace's balance from its entries and names every
/// difference from the stored row. Reads in one transaction, so a post
/// committing meanwhile cannot make the two disagree.
pub async fn verify(tx: &mut Tx, ws: &WorkspaceId) -> Result<Verification, sqlx::Error> {
    let stored = read_balance(&mut *tx, ws).await?;
    let sums = switchboard_db::fetch_one!(
        &mut *tx,
        Sums,
        "SELECT COUNT(*) AS entries, CAST(SUM(cycle_part) AS BIGINT) AS cycle,
                CAST(SUM(top_up_part) AS BIGINT) AS top_up, CAST(SUM(amount) AS BIGINT) AS total
         FROM credit_entries WHERE workspace_id = $1",
        ws.as_str()
    )?;
    let (stored_cycle, stored_top_up, stored_entry_count) =
        stored.as_ref().map(|r| (r.cycle_credits, r.top_up_credits, r.entry_count)).unwrap_or((0, 0, 0));
    let (computed_cycle, computed_top_up) = (sums.cycle.unwrap_or(0), sums.top_up.unwrap_or(0));
    let mut differences = Vec::new();
    let show = |millis: i64| crate::web::format::credits(Credits::from_millis(millis));
    if stored_cycle != computed_cycle {
        differences.push(format!(
            "cycle credits: the balance row holds {} but the entries sum to {}",
            show(stored_cycle),
            show(computed_cycle)
        ));
    }
    if stored_top_up != computed_top_up {
        differences.push(format!(
            "top-up credits: the balance row holds {} but the entries sum to {}",
            show(stored_top_up),
            show(computed_top_up)
        ));
    }
    if sums.total.unwrap_or(0) != computed_cycle.saturating_add(computed_top_up) {
        differences.push("some entries' amount is not the sum of their cycle and top-up parts".to_string());
    }
    if stored_entry_count != sums.entries {
        differences
            .push(format!("entry count: the balance row says {stored_entry_count} but there are {}", sums.entries));
    }
    Ok(Verification {
        workspace_id: ws.clone(),
        entries: sums.entries,
        stored_cycle,
        stored_top_up,
        computed_cycle,
        computed_top_up,
        stored_entry_count,
        differences,
    })
}
