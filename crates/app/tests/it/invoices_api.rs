//! Invoices: `GET /api/v1/invoices` (newest first, keyset paged) and
//! `GET /api/v1/invoices/{id}` (with lines), the invoices table on
//! Settings → Subscription and the printable invoice page. Another
//! workspace's invoice is 404 everywhere. Invoices are made as billing
//! makes them: `invoices::store::create`, then `charge::collect`.
use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{Value, json};
use switchboard::audit::Origin;
use switchboard::invoices::charge::{self, OnDecline, Outcome};
use switchboard::invoices::store::{self, Invoice, Kind, NewInvoice, NewLine};
use switchboard_core::{Cents, WorkspaceId};

use crate::harness::{TestApp, Visitor, problem};

/// An open invoice of `ws` with `lines`, made under `key` as billing makes
/// one (the workspace's subscription row is started if need be).
pub async fn open_invoice(app: &TestApp, ws: &str, key: &str, kind: Kind, lines: Vec<NewLine>) -> Invoice {
    let ws: WorkspaceId = ws.parse().expect("workspace id");
    switchboard::subscription::trial::load_or_start(&app.state, &ws).await.expect("subscription");
    let mut tx = app.state.db.begin().await.expect("begin");
    let new = NewInvoice { kind, idempotency_key: key.into(), lines, period: None };
    let (invoice, _) = store::create(&mut tx, &ws, "SB", &new, app.clock_now()).await.expect("create invoice");
    tx.commit().await.expect("commit");
    invoice
}

/// A top-up-like invoice charged to the saved card: the outcome.
pub async fn collected_invoice(app: &TestApp, ws: &str, key: &str, lines: Vec<NewLine>) -> Outcome {
    let invoice = open_invoice(app, ws, key, Kind::TopUp, lines).await;
    let origin = Origin::system(invoice.workspace_id.clone());
    charge::collect(&app.state, &origin, invoice, OnDecline::Void).await.expect("collect")
}

/// Saves a sandbox card through the API.
pub async fn save_card(v: &Visitor, number: &str) {
    let body = json!({"number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"});
    let res = v.api(reqwest::Method::PUT, "/api/v1/payment-method", Some(body)).await;
    assert_eq!(res.status(), StatusCode::OK, "save card {number}");
}

fn top_up_lines() -> Vec<NewLine> {
    vec![NewLine { description: "1,000 top-up credits".into(), quantity: 5, unit: Cents::from_minor(1_000) }]
}

#[tokio::test]
async fn invoices_are_listed_newest_first_in_pages_and_read_with_their_lines() {
    let app = TestApp::spawn().await;
    let ada = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let ws = ada.workspace_id().await;
    assert_eq!(ada.get_json("/api/v1/invoices").await, json!({"data": [], "next_cursor": null}));
    let mut made = Vec::new();
    for n in 0..3 {
        let lines = vec![
            NewLine { description: format!("Line A{n}"), quantity: 2, unit: Cents::from_minor(1_250) },
            NewLine::one(format!("Line B{n}"), Cents::from_minor(99)),
        ];
        made.push(open_invoice(&app, &ws, &format!("key-{n}"), Kind::TopUp, lines).await);
        app.clock.advance(Duration::minutes(5));
    }
    // Two made in the same instant still page in a stable order.
    made.push(
        open_invoice(&app, &ws, "key-3", Kind::Subscription, vec![NewLine::one("Pro", Cents::from_minor(9_900))]).await,
    );

    let first = ada.get_json("/api/v1/invoices?limit=2").await;
    let ids = |page: &Value| -> Vec<String> {
        page["data"].as_array().expect("data").iter().map(|i| i["id"].as_str().expect("id").to_string()).collect()
    };
    assert_eq!(ids(&first), [made[3].id.to_string(), made[2].id.to_string()]);
    let cursor = first["next_cursor"].as_str().expect("a next page");
    let second = ada.get_json(&format!("/api/v1/invoices?limit=2&cursor={cursor}")).await;
    assert_eq!(ids(&second), [made[1].id.to_string(), made[0].id.to_string()]);
    assert_eq!(second["next_cursor"], Value::Null);

    let row = &first["data"][1];
    assert_eq!(row["number"], made[2].number.as_str());
    assert!(made[2].number.starts_with("SB-") && made[2].number.ends_with("-0003"), "{}", made[2].number);
    assert_eq!((row["status"].as_str(), row["kind"].as_str()), (Some("open"), Some("top_up")));
    assert_eq!((row["total_cents"].as_i64(), row["currency"].as_str()), (Some(2_599), Some("usd")));
    assert!(row.get("lines").is_none(), "the list leaves lines out");

    let one = ada.get_json(&format!("/api/v1/invoices/{}", made[0].id)).await;
    assert_eq!(one["number"], made[0].number.as_str());
    assert_eq!(
        one["lines"],
        json!([
            {"description": "Line A0", "quantity": 2, "unit_cents": 1_250, "amount_cents": 2_500},
            {"description": "Line B0", "quantity": 1, "unit_cents": 99, "amount_cents": 99},
        ])
    );

    for bad in ["/api/v1/invoices?cursor=not-a-cursor", "/api/v1/invoices?limit=0", "/api/v1/invoices?limit=101"] {
        let res = ada.get(bad).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        problem(res).await;
    }
    for missing in ["/api/v1/invoices/bill_01JE0000000000000000000000", "/api/v1/invoices/nope"] {
        let res = ada.get(missing).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{missing}");
        assert_eq!(problem(res).await["code"], "not_found");
    }
}

#[tokio::test]
async fn another_workspaces_invoice_is_not_found() {
    let app = TestApp::spawn().await;
    let ada = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let ws = ada.workspace_id().await;
    let invoice = open_invoice(&app, &ws, "a-1", Kind::TopUp, top_up_lines()).await;
    let eve = app.user_with_workspace("Eve", "eve@example.com", "Evil Corp").await;
    let res = eve.get(&format!("/api/v1/invoices/{}", invoice.id)).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(problem(res).await["code"], "not_found");
    let res = eve.get(&format!("/settings/subscription/invoices/{}", invoice.id)).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(!res.text().await.expect("html").contains(&invoice.number), "nothing of A's shows");
    assert_eq!(eve.get_json("/api/v1/invoices").await["data"], json!([]), "B lists none of A's");
    assert_eq!(ada.get(&format!("/settings/subscription/invoices/{}", invoice.id)).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_paid_invoice_prints_with_its_lines_and_total_and_the_table_links_it() {
    let app = TestApp::spawn().await;
    let ada = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let ws = ada.workspace_id().await;
    save_card(&ada, "4242 4242 4242 4242").await;
    let Outcome::Paid(paid) = collected_invoice(&app, &ws, "top_up:1", top_up_lines()).await else {
        panic!("4242 pays")
    };

    let page = format!("/settings/subscription/invoices/{}", paid.id);
    let html = ada.get_text(&page).await;
    assert!(html.contains(&format!("<h1 id=\"invoice-heading\">Invoice {}</h1>", paid.number)));
    assert!(html.contains("Billed to <strong>Acme Voice</strong>"));
    assert!(html.contains("<span class=\"status status-paid\">Paid</span>"));
    assert!(html.contains("<dt>Paid on</dt><dd>28 Nov 2026</dd>"), "dates");
    let line = "<td>1,000 top-up credits</td>\n        <td class=\"num\">5</td>\n        <td class=\"num\">$10.00</td>\n        <td class=\"num\">$50.00</td>";
    assert!(html.contains(line), "the line, money right-aligned:\n{html}");
    assert!(html.contains("<td class=\"num invoice-total\"><strong>$50.00</strong></td>"), "the total");
    assert!(html.contains("data-print>Print</button>"), "a Print button");

    // The table on Settings → Subscription links the number to that page.
    let list = ada.get_text("/settings/subscription").await;
    assert!(list.contains(&format!("<a href=\"{page}\">{}</a>", paid.number)));
    assert!(list.contains("<span class=\"status status-paid\">Paid</span>"));

    // A card that saves but whose charges fail: the invoice is void with the reason.
    save_card(&ada, "4000 0000 0000 0341").await;
    let Outcome::Declined { invoice: void, .. } = collected_invoice(&app, &ws, "top_up:2", top_up_lines()).await else {
        panic!("0341 declines")
    };
    let list = ada.get_text("/settings/subscription").await;
    assert!(list.contains("<span class=\"status status-void\">Void</span><br><span class=\"muted small invoice-failure\">Your card was declined.</span>"));
    let api = ada.get_json(&format!("/api/v1/invoices/{}", void.id)).await;
    assert_eq!(
        (api["status"].as_str(), api["failure_message"].as_str()),
        (Some("void"), Some("Your card was declined."))
    );
    let api = ada.get_json(&format!("/api/v1/invoices/{}", paid.id)).await;
    assert_eq!((api["status"].as_str(), api["total_cents"].as_i64()), (Some("paid"), Some(5_000)));
    assert!(api["paid_at"].is_string());
}
