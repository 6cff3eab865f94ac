//! Settings → Phone Numbers (issue 15, item 8): the numbers table with its
//! search, filters and pages, the Buy flow's search form and confirmation,
//! a number's page; Admins only.
use reqwest::StatusCode;
use switchboard::phone_numbers::model::NumberStatus;
use switchboard::phone_numbers::store;
use switchboard_core::WorkspaceId;
use switchboard_providers::carriers::Capabilities;

use crate::harness::{TestApp, Visitor, flash_text, location};
use crate::phone_numbers_assign::{agent, member, number, seed_number};

async fn admin(app: &TestApp) -> (Visitor, String) {
    let mut ada = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    ada.load_csrf("/settings/general").await;
    let ws = ada.workspace_id().await;
    (ada, ws)
}

/// The rows of the numbers table, by their `data-number`.
fn rows(page: &str) -> Vec<String> {
    page.match_indices("<tr data-number=\"")
        .map(|(at, m)| page[at + m.len()..].split('"').next().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test]
async fn the_numbers_page_starts_empty_then_lists_searches_and_filters() {
    let app = TestApp::spawn().await;
    let (ada, ws) = admin(&app).await;
    let page = ada.get_text("/settings/phone-numbers").await;
    assert!(page.contains(r#"aria-current="page">Phone Numbers</a>"#), "{page}");
    assert!(page.contains("id=\"numbers-empty\"") && page.contains("Buy your first number"), "{page}");
    assert!(!page.contains("is not available yet"));

    let first = seed_number(&app, &ws, "+14155550100", Capabilities::ALL).await;
    app.clock.advance(chrono::Duration::seconds(1));
    let second = seed_number(&app, &ws, "+12125550123", Capabilities::VOICE).await;
    let front = agent(&ada, "Front desk").await;
    let res = ada
        .post_form(
            &format!("/settings/phone-numbers/{first}/assignments"),
            &[("inbound_agent_id", &front), ("outbound_agent_id", ""), ("sms_agent_id", "")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    let page = ada.get_text("/settings/phone-numbers").await;
    assert_eq!(rows(&page), ["+12125550123", "+14155550100"], "newest first");
    assert!(page.contains(">+1 415 555 0100</a>"), "formatted for people: {page}");
    assert!(page.contains("Inbound calls: Front desk"), "{page}");
    assert!(page.contains(r#"<span class="status status-active">Active</span>"#));
    assert!(page.contains("<td class=\"num\">150</td>"), "the monthly price in credits: {page}");

    // Search by digits, then by name; filters by status and source.
    assert_eq!(rows(&ada.get_text("/settings/phone-numbers?q=212+555").await), ["+12125550123"]);
    assert_eq!(rows(&ada.get_text("/settings/phone-numbers?q=main").await).len(), 2);
    let ws_id: WorkspaceId = ws.parse().expect("ws");
    let id = second.parse().expect("id");
    store::set_status(&app.state.db, &ws_id, &id, NumberStatus::Released, None, app.clock_now()).await.expect("status");
    assert_eq!(rows(&ada.get_text("/settings/phone-numbers").await), ["+14155550100"], "ended numbers are hidden");
    assert_eq!(rows(&ada.get_text("/settings/phone-numbers?status=RELEASED").await), ["+12125550123"]);
    assert!(rows(&ada.get_text("/settings/phone-numbers?source=IMPORTED").await).is_empty());
    let res = ada.get("/settings/phone-numbers?status=LOST").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.expect("page").contains("Choose a status."));
}

#[tokio::test]
async fn the_numbers_table_pages_by_key() {
    let app = TestApp::spawn().await;
    let (ada, ws) = admin(&app).await;
    for n in 0..52 {
        seed_number(&app, &ws, &format!("+1415555{:04}", 1000 + n), Capabilities::VOICE).await;
        if n % 2 == 0 {
            app.clock.advance(chrono::Duration::seconds(1));
        }
    }
    let page = ada.get_text("/settings/phone-numbers").await;
    assert_eq!(rows(&page).len(), 50);
    let at = page.find("phone-numbers?cursor=").expect("a next page link") + "phone-numbers".len();
    let next = format!("/settings/phone-numbers{}", page[at..].split('"').next().expect("href"));
    let rest = rows(&ada.get_text(&next).await);
    assert_eq!(rest.len(), 2);
    let mut all: Vec<String> = rows(&page).into_iter().chain(rest).collect();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 52, "each number once");
}

#[tokio::test]
async fn the_pages_are_the_admins_and_another_workspaces_number_is_not_found() {
    let app = TestApp::spawn().await;
    let (ada, ws) = admin(&app).await;
    let id = seed_number(&app, &ws, "+14155550100", Capabilities::ALL).await;
    let page = ada.get_text(&format!("/settings/phone-numbers/{id}")).await;
    for text in
        ["+1 415 555 0100", "Friendly name", "Inbound calls", "Allow outbound calls", "Danger Zone", "150 credits"]
    {
        assert!(page.contains(text), "{text}: {page}");
    }
    let mia = member(&app, &ws).await;
    for path in [
        "/settings/phone-numbers".to_string(),
        "/settings/phone-numbers/buy".to_string(),
        format!("/settings/phone-numbers/{id}"),
    ] {
        let res = mia.get(&path).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{path}");
        assert!(flash_text(&res).unwrap_or_default().contains("permission"), "{path}");
    }
    let bob = app.user_with_workspace("Bob", "bob@example.com", "Other Co").await;
    assert_eq!(bob.get(&format!("/settings/phone-numbers/{id}")).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(ada.get("/settings/phone-numbers/pn_nonsense").await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_buy_search_form_puts_its_messages_by_the_fields() {
    let app = TestApp::spawn().await;
    let (ada, _) = admin(&app).await;
    let page = ada.get_text("/settings/phone-numbers/buy").await;
    assert!(page.contains("Search numbers") && !page.contains("Available numbers"), "no search yet: {page}");

    let res = ada.get("/settings/phone-numbers/buy?country=US&type=LOCAL&area_code=41a&contains=12345678901").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.expect("page");
    assert!(page.contains(r#"id="search-area_code-error">An area code is up to 5 digits"#), "{page}");
    assert!(page.contains(r#"id="search-contains-error">“Contains” is up to 10 digits"#), "{page}");
    assert!(page.contains(r#"value="41a""#), "the values are kept: {page}");

    let res = ada.get("/settings/phone-numbers/buy?country=U1&type=SATELLITE").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.expect("page");
    assert!(page.contains("Choose a country.") && page.contains("Choose a type"), "{page}");
}

#[tokio::test]
async fn the_buy_flow_shows_the_price_and_balance_and_lands_on_the_number() {
    let app = TestApp::spawn().await;
    let (ada, ws) = admin(&app).await;
    let page = ada.get_text("/settings/phone-numbers/buy?country=US&type=LOCAL&area_code=415&voice=on").await;
    assert!(page.contains("+1 415 555 0100"), "{page}");
    assert!(page.contains("Buy for 150 credits"), "{page}");
    assert!(page.contains("<dd>1,000 credits</dd>") && page.contains("<dd>850 credits</dd>"), "{page}");

    // Without JavaScript, Buy leads to a confirmation page with the same facts.
    let confirm =
        ada.get_text("/settings/phone-numbers/buy/confirm?number=%2B14155550100&country=US&area_code=415").await;
    assert!(confirm.contains("Buy +1 415 555 0100?") && confirm.contains("Buy for 150 credits"), "{confirm}");

    let fields = [("number", "+14155550100"), ("search_country", "US"), ("search_area_code", "415")];
    let res = ada.post_form("/settings/phone-numbers/buy", &fields).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "{:?}", flash_text(&res));
    let to = location(&res);
    assert!(to.starts_with("/settings/phone-numbers/pn_"), "{to}");
    assert_eq!(flash_text(&res).as_deref(), Some("Bought +1 415 555 0100 for 150 credits."));
    let id = to.rsplit('/').next().expect("id");
    assert_eq!(number(&app, &ws, id).await.status, NumberStatus::Active);
    let page = ada.get_text("/settings/phone-numbers/buy?country=US&type=LOCAL&area_code=415").await;
    assert!(page.contains("<dd>850 credits</dd>"), "the balance went down by the price: {page}");

    // The same number again: refused, said on the results, nothing changes.
    let res = ada.post_form("/settings/phone-numbers/buy", &fields).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/settings/phone-numbers/buy?country=US&area_code=415");
    assert!(flash_text(&res).is_some());
}

#[tokio::test]
async fn a_buy_the_balance_does_not_cover_is_refused_naming_the_shortfall_and_nothing_changes() {
    use switchboard::credits::ledger::{self, EntryKind, NewEntry};
    let app = TestApp::spawn().await;
    let (ada, ws) = admin(&app).await;
    // Spend the trial's 1,000 credits down to 100.
    let ws_id: WorkspaceId = ws.parse().expect("ws");
    let mut tx = app.state.db.begin().await.expect("tx");
    let spent = switchboard_core::Credits::from_whole(-900).expect("credits");
    ledger::post(&mut tx, &ws_id, NewEntry::new(EntryKind::Usage, spent, "pages-test", "Usage"), app.clock_now())
        .await
        .expect("debit");
    tx.commit().await.expect("commit");

    let page = ada.get_text("/settings/phone-numbers/buy?country=US&area_code=415&voice=on").await;
    assert!(page.contains("Not enough credits: 50 short."), "the dialog says so before the click: {page}");
    let fields = [("number", "+14155550100"), ("search_country", "US"), ("search_area_code", "415")];
    let res = ada.post_form("/settings/phone-numbers/buy", &fields).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/settings/phone-numbers/buy?country=US&area_code=415");
    let text = flash_text(&res).unwrap_or_default();
    assert!(text.contains("50 short"), "{text}");
    assert_eq!(store::count_live(&app.state.db, &ws_id).await.expect("count"), 0, "nothing bought");
    let balance = ledger::read_balance(&app.state.db, &ws_id).await.expect("balance").expect("row");
    assert_eq!(balance.balance().total(), switchboard_core::Credits::from_whole(100).expect("credits"));
}
