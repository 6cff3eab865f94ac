//! The credits ledger: idempotent entries, cycle credits spent first,
//! expiry of what is left of the cycle, purchases that never overdraw,
//! usage that always records, the negative-balance block, verify (API and
//! CLI) finding a tampered balance, and 50 concurrent debits against a
//! balance of 10 — on SQLite, on PostgreSQL and in two processes.
use reqwest::StatusCode;
use serde_json::Value;
use switchboard::credits::ledger::{self, EntryKind, NewEntry, Overdraft};
use switchboard::state::AppState;
use switchboard_core::{Credits, WorkspaceId};
use switchboard_db::execute;

use crate::harness::{TestApp, Visitor, on_postgres};

pub fn whole(n: i64) -> Credits {
    Credits::from_whole(n).expect("credits")
}

pub async fn workspace(app: &TestApp) -> (Visitor, WorkspaceId) {
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let ws: WorkspaceId = admin.workspace_id().await.parse().expect("ws");
    (admin, ws)
}

/// Posts one entry in its own transaction.
pub async fn post(
    state: &AppState,
    ws: &WorkspaceId,
    entry: NewEntry,
) -> switchboard::error::AppResult<ledger::Posted> {
    let mut tx = state.db.begin().await?;
    let posted = ledger::post(&mut tx, ws, entry, state.clock.now()).await?;
    tx.commit().await?;
    Ok(posted)
}

pub async fn balance(state: &AppState, ws: &WorkspaceId) -> ledger::Balance {
    ledger::read_balance(&state.db, ws).await.expect("read").expect("row").balance()
}

async fn verify(state: &AppState, ws: &WorkspaceId) -> ledger::Verification {
    let mut tx = state.db.begin().await.expect("tx");
    let report = ledger::verify(&mut tx, ws).await.expect("verify");
    tx.rollback().await.expect("rollback");
    report
}

/// Empties the trial's cycle credits and sets the top-up part to `credits`.
pub async fn set_balance(state: &AppState, ws: &WorkspaceId, credits: i64) {
    post(state, ws, NewEntry::new(EntryKind::Expiry, Credits::ZERO, "test:expire", "Trial ends"))
        .await
        .expect("expire");
    let now = balance(state, ws).await.total();
    let delta = whole(credits).checked_sub(now).expect("delta");
    post(state, ws, NewEntry::new(EntryKind::Adjustment, delta, "test:set", "Set").overdraft(Overdraft::Allow))
        .await
        .expect("adjust");
    assert_eq!(balance(state, ws).await.total(), whole(credits));
}

#[tokio::test]
async fn entries_are_idempotent_cycle_credits_go_first_and_expiry_takes_the_rest_of_the_cycle() {
    let app = TestApp::spawn().await;
    let (_admin, ws) = workspace(&app).await;
    let state = &app.state;
    set_balance(state, &ws, 0).await;
    post(state, &ws, NewEntry::new(EntryKind::CycleGrant, whole(1_000), "cycle:1", "Cycle")).await.expect("grant");
    post(state, &ws, NewEntry::new(EntryKind::TopUp, whole(500), "top_up:1", "Top-up")).await.expect("top up");

    // A debit bigger than the cycle part takes the cycle first, then top-ups.
    let debit = NewEntry::new(EntryKind::Usage, whole(-1_200), "usage:1", "Calls").overdraft(Overdraft::Allow);
    let first = post(state, &ws, debit.clone()).await.expect("debit");
    assert!(!first.replayed);
    assert_eq!((first.entry.cycle_part, first.entry.top_up_part), (whole(-1_000), whole(-200)));
    assert_eq!(balance(state, &ws).await, ledger::Balance { cycle: Credits::ZERO, top_up: whole(300) });

    // The same key again: the first entry, nothing changed.
    let again = post(state, &ws, debit).await.expect("replay");
    assert!(again.replayed);
    assert_eq!(again.entry.id, first.entry.id);
    assert_eq!(balance(state, &ws).await.total(), whole(300));

    // Expiry takes only what is left of the cycle; top-ups never expire.
    post(state, &ws, NewEntry::new(EntryKind::CycleGrant, whole(800), "cycle:2", "Cycle")).await.expect("grant");
    post(state, &ws, NewEntry::new(EntryKind::Usage, whole(-300), "usage:2", "Calls")).await.expect("usage");
    let expired = post(state, &ws, NewEntry::new(EntryKind::Expiry, whole(-999_999), "expiry:2", "Cycle ended"))
        .await
        .expect("expiry");
    assert_eq!(expired.entry.amount, whole(-500), "800 granted, 300 used: 500 expire");
    assert_eq!(balance(state, &ws).await, ledger::Balance { cycle: Credits::ZERO, top_up: whole(300) });
    assert!(verify(state, &ws).await.ok());
}

#[tokio::test]
async fn purchases_never_overdraw_but_finished_usage_always_records_and_then_blocks_new_spending() {
    let app = TestApp::spawn().await;
    let (_admin, ws) = workspace(&app).await;
    let state = &app.state;
    set_balance(state, &ws, 100).await;
    let entries_before = verify(state, &ws).await.entries;

    // A purchase the balance does not cover: 402 naming the shortfall, nothing written.
    let err = post(state, &ws, NewEntry::new(EntryKind::NumberRental, whole(-150), "number:1", "Number"))
        .await
        .expect_err("refused");
    let problem = err.problem().expect("client error");
    assert_eq!((problem.status, problem.code), (StatusCode::PAYMENT_REQUIRED, "insufficient_credits"));
    assert!(problem.detail.contains("costs 150 credits") && problem.detail.contains("50 short"), "{}", problem.detail);
    assert_eq!(balance(state, &ws).await.total(), whole(100));
    assert_eq!(verify(state, &ws).await.entries, entries_before);
    assert!(ledger::find_by_key(&state.db, &ws, "number:1").await.expect("find").is_none());

    // Usage that already happened records even though it overdraws.
    let usage = NewEntry::new(EntryKind::Usage, whole(-130), "call:1", "A call").overdraft(Overdraft::Allow);
    post(state, &ws, usage).await.expect("usage records");
    assert_eq!(balance(state, &ws).await.total(), whole(-30));

    // Negative: new billable actions are refused, unless the plan allows overage.
    let catalogue = &state.config.billing.catalogue;
    let strict = catalogue.all().iter().find(|p| !p.limits.overage).expect("a plan without overage");
    let lenient = catalogue.all().iter().find(|p| p.limits.overage).expect("a plan with overage");
    let err = ledger::check_can_spend(&state.db, &ws, strict).await.expect_err("blocked");
    let problem = err.problem().expect("client error");
    assert_eq!((problem.status, problem.code), (StatusCode::PAYMENT_REQUIRED, "credits_negative"));
    assert!(problem.detail.contains("-30"), "{}", problem.detail);
    ledger::check_can_spend(&state.db, &ws, lenient).await.expect("overage allowed");

    // Back above zero, the block lifts.
    post(state, &ws, NewEntry::new(EntryKind::TopUp, whole(40), "top_up:2", "Top-up")).await.expect("top up");
    ledger::check_can_spend(&state.db, &ws, strict).await.expect("positive again");
    assert!(verify(state, &ws).await.ok());
}

#[tokio::test]
async fn verify_names_a_tampered_balance_in_the_api_and_the_cli() {
    let app = TestApp::spawn().await;
    let (admin, ws) = workspace(&app).await;
    set_balance(&app.state, &ws, 250).await;
    let report: Value = admin.get_json("/api/v1/credits/verify").await;
    assert_eq!(report["differences"], serde_json::json!([]), "{report}");

    execute!(
        &app.state.db,
        "UPDATE credit_balances SET top_up_credits = top_up_credits + 7000 WHERE workspace_id = $1",
        ws.as_str()
    )
    .expect("tamper");
    let report: Value = admin.get_json("/api/v1/credits/verify").await;
    let differences = report["differences"].as_array().expect("list");
    assert_eq!(differences.len(), 1, "{report}");
    let text = differences[0].as_str().expect("text");
    assert!(text.contains("top-up credits") && text.contains("257") && text.contains("250"), "{text}");

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .env_remove("DATABASE_URL")
        .args(["credits", "verify", "--workspace", ws.as_str(), "--database-url"])
        .arg(&app.state.config.database_url)
        .arg("--data-dir")
        .arg(&app.state.config.data_dir)
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "a difference exits non-zero: {stdout}");
    assert!(stdout.contains("DIFFERS") && stdout.contains("top-up credits"), "{stdout}");

    execute!(
        &app.state.db,
        "UPDATE credit_balances SET top_up_credits = top_up_credits - 7000 WHERE workspace_id = $1",
        ws.as_str()
    )
    .expect("untamper");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .env_remove("DATABASE_URL")
        .args(["credits", "verify", "--database-url"])
        .arg(&app.state.config.database_url)
        .arg("--data-dir")
        .arg(&app.state.config.data_dir)
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout} {}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains(&format!("{ws}: ok")), "{stdout}");
}

/// 50 debits of 1 credit at once, spread over `states` (one per process).
async fn fifty_debits(states: &[AppState], ws: &WorkspaceId) -> (usize, usize) {
    let mut tasks = Vec::new();
    for i in 0..50 {
        let state = states[i % states.len()].clone();
        let ws = ws.clone();
        tasks.push(tokio::spawn(async move {
            let entry = NewEntry::new(EntryKind::VoiceClone, whole(-1), format!("debit:{i}"), "One credit");
            post(&state, &ws, entry).await
        }));
    }
    let (mut ok, mut refused) = (0, 0);
    for task in tasks {
        match task.await.expect("task") {
            Ok(_) => ok += 1,
            Err(err) => {
                let code = err.problem().map(|p| p.code);
                assert_eq!(code, Some("insufficient_credits"), "{err:?}");
                refused += 1;
            }
        }
    }
    (ok, refused)
}

#[tokio::test]
async fn fifty_concurrent_debits_against_ten_credits_spend_each_credit_once() {
    let app = TestApp::spawn().await;
    let (_admin, ws) = workspace(&app).await;
    set_balance(&app.state, &ws, 10).await;
    let (ok, refused) = fifty_debits(std::slice::from_ref(&app.state), &ws).await;
    assert_eq!((ok, refused), (10, 40));
    assert_eq!(balance(&app.state, &ws).await.total(), Credits::ZERO);
    let report = verify(&app.state, &ws).await;
    assert!(report.ok(), "{report:?}");
}

#[tokio::test]
async fn fifty_concurrent_debits_from_two_processes_spend_each_credit_once() {
    if !on_postgres() {
        eprintln!("SKIPPED: two processes share a database on PostgreSQL only");
        return;
    }
    let app = TestApp::spawn().await;
    let (_admin, ws) = workspace(&app).await;
    set_balance(&app.state, &ws, 10).await;
    let second = switchboard::server::build_state(app.state.config.clone(), app.url.clone(), app.clock.clone())
        .await
        .expect("second process");
    let states = [app.state.clone(), second];
    let (ok, refused) = fifty_debits(&states, &ws).await;
    assert_eq!((ok, refused), (10, 40));
    for state in &states {
        assert_eq!(balance(state, &ws).await.total(), Credits::ZERO);
    }
    let report = verify(&app.state, &ws).await;
    assert!(report.ok(), "{report:?}");
}
