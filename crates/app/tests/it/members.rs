//! SPEC §4: invitations, roles, removal, leaving and deleting a workspace.
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use switchboard_db::{Backend, fetch_all, fetch_scalar};

use crate::harness::{TestApp, Visitor, flash_text, location, png, problem};

async fn invite(admin: &Visitor, email: &str, role: &str) -> reqwest::Response {
    admin.post_json("/api/v1/invitations", json!({ "email": email, "role": role })).await
}

async fn members(admin: &Visitor) -> Vec<Value> {
    admin.get_json("/api/v1/members").await["data"].as_array().expect("data").clone()
}

async fn member_id(admin: &Visitor, email: &str) -> String {
    members(admin).await.iter().find(|m| m["email"] == email).expect("member")["id"].as_str().expect("id").to_string()
}

/// Invites `email`, delivers the email, and signs the invitee up from its link.
async fn join(app: &TestApp, admin: &Visitor, name: &str, email: &str, role: &str) -> Visitor {
    assert_eq!(invite(admin, email, role).await.status(), StatusCode::CREATED);
    app.run_jobs().await;
    let link = app.invitation_links().pop().expect("invitation email");
    let mut user = app.visitor();
    let token = link.trim_start_matches("/invite/").to_string();
    user.load_csrf(&format!("/signup?invite={token}")).await;
    let res = user
        .post_form(
            "/signup",
            &[
                ("name", name),
                ("email", "ignored@example.com"),
                ("password", "correct horse battery"),
                ("invite", &token),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "sign-up from the invitation");
    assert_eq!(location(&res), "/");
    user.refresh_session_csrf().await;
    user
}

#[tokio::test]
async fn an_invitation_email_leads_a_new_user_into_the_workspace() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let res = invite(&admin, "Bob@Example.com", "member").await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let inv: Value = res.json().await.expect("json");
    assert_eq!(inv["status"], "INVITED");
    assert_eq!(app.run_jobs().await, 1);
    let mail = app.outbox().pop().expect("one email");
    assert!(mail.contains("Subject: You're invited to a workspace on Switchboard"));
    assert!(mail.contains("multipart/alternative"));
    let link = app.invitation_links().pop().expect("link");

    let visitor = app.visitor();
    let html = visitor.get_text(&link).await;
    assert!(html.contains("Create account and join"));
    let bob = join(&app, &admin, "Bob", "bob2@example.com", "viewer").await;
    assert_eq!(bob.workspace().await["role"], "viewer");
    let list = members(&admin).await;
    assert!(list.iter().any(|m| m["email"] == "bob2@example.com" && m["status"] == "ACTIVE"));

    // The link works once.
    let used = app.invitation_links()[1].clone();
    let res = visitor.get(&used).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(res.text().await.expect("html").contains("This invitation is not valid"));
    let ws = admin.workspace_id().await;
    let actions = app.audit_actions(&ws).await;
    assert!(actions.contains(&"member.invited".to_string()));
    assert!(actions.contains(&"member.joined".to_string()));
}

#[tokio::test]
async fn inviting_a_member_is_refused_and_inviting_a_pending_address_resends() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let res = invite(&admin, "ada@example.com", "member").await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_eq!(problem(res).await["code"], "already_member");

    assert_eq!(invite(&admin, "bob@example.com", "member").await.status(), StatusCode::CREATED);
    app.run_jobs().await;
    let first = app.invitation_links().pop().expect("first link");
    let res = invite(&admin, "BOB@example.com", "admin").await;
    assert_eq!(res.status(), StatusCode::OK, "a pending address is resent");
    let inv: Value = res.json().await.expect("json");
    assert_eq!(inv["send_count"], 2);
    assert_eq!(inv["role"], "admin");
    app.run_jobs().await;
    let second = app.invitation_links().pop().expect("second link");
    assert_ne!(first, second);
    assert_eq!(app.visitor().get(&first).await.status(), StatusCode::NOT_FOUND, "the old link is dead");
    assert_eq!(app.visitor().get(&second).await.status(), StatusCode::OK);
    assert_eq!(admin.get_json("/api/v1/invitations").await["data"].as_array().expect("data").len(), 1);

    for bad in [json!({"email": "not-an-email"}), json!({"email": "c@example.com", "role": "owner"})] {
        let res = admin.post_json("/api/v1/invitations", bad).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
}

#[tokio::test]
async fn revoked_and_expired_invitations_stop_working() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let inv: Value = invite(&admin, "bob@example.com", "member").await.json().await.expect("json");
    app.run_jobs().await;
    let link = app.invitation_links().pop().expect("link");
    let res = admin.delete(&format!("/api/v1/invitations/{}", inv["id"].as_str().expect("id"))).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(app.visitor().get(&link).await.status(), StatusCode::NOT_FOUND);

    let inv: Value = invite(&admin, "carol@example.com", "member").await.json().await.expect("json");
    app.run_jobs().await;
    let link = app.invitation_links().pop().expect("link");
    app.clock.advance(chrono::Duration::days(8));
    let res = app.visitor().get(&link).await;
    assert_eq!(res.status(), StatusCode::GONE);
    assert!(res.text().await.expect("html").contains("This invitation has expired"));
    let list = admin.get_json("/api/v1/invitations").await;
    assert_eq!(list["data"][0]["status"], "EXPIRED");
    // Resending renews it with a new link.
    let res =
        admin.post_json(&format!("/api/v1/invitations/{}/resend", inv["id"].as_str().expect("id")), json!({})).await;
    assert_eq!(res.status(), StatusCode::OK);
    app.run_jobs().await;
    let renewed = app.invitation_links().pop().expect("link");
    assert_eq!(app.visitor().get(&renewed).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_signed_in_user_with_another_email_joins_nothing() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    assert_eq!(invite(&admin, "bob@example.com", "member").await.status(), StatusCode::CREATED);
    app.run_jobs().await;
    let link = app.invitation_links().pop().expect("link");
    let mut eve = app.user_with_workspace("Eve", "eve@example.com", "Evil Corp").await;
    let html = eve.get_text(&link).await;
    assert!(html.contains("but you are signed in as eve@example.com"));
    eve.load_csrf(&link).await;
    let res = eve.post_form(&format!("{link}/accept"), &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(flash_text(&res).expect("toast").contains("This invitation is for bob@example.com"));
    assert_eq!(members(&admin).await.len(), 1);

    // An existing user signs in from the link and joins with one click.
    let mut bob = app.user_with_workspace("Bob", "bob@example.com", "Bob Co").await;
    let html = bob.get_text(&link).await;
    assert!(html.contains("Join Acme Voice"));
    bob.load_csrf(&link).await;
    let res = bob.post_form(&format!("{link}/accept"), &[]).await;
    assert_eq!(location(&res), "/");
    assert_eq!(bob.workspace().await["name"], "Acme Voice");
    assert_eq!(bob.get_json("/api/v1/workspaces").await["data"].as_array().expect("data").len(), 2);
}

#[tokio::test]
async fn a_signed_out_existing_user_signs_in_and_comes_back_to_the_invitation() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let _bob = app.user_with_workspace("Bob", "bob@example.com", "Bob Co").await;
    assert_eq!(invite(&admin, "bob@example.com", "member").await.status(), StatusCode::CREATED);
    app.run_jobs().await;
    let link = app.invitation_links().pop().expect("link");
    let mut visitor = app.visitor();
    let html = visitor.get_text(&link).await;
    assert!(html.contains("Sign in to join"));
    visitor.load_csrf(&format!("/signin?email=bob%40example.com&next={link}")).await;
    let res = visitor
        .post_form("/signin", &[("email", "bob@example.com"), ("password", "correct horse battery"), ("next", &link)])
        .await;
    assert_eq!(location(&res), link);
}

#[tokio::test]
async fn the_last_admin_cannot_be_demoted_removed_or_leave() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let ada_id = member_id(&admin, "ada@example.com").await;
    let res = admin.patch(&format!("/api/v1/members/{ada_id}"), json!({"role": "member"})).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let p = problem(res).await;
    assert_eq!(p["code"], "last_admin");
    assert!(p["detail"].as_str().expect("detail").contains("Make another member Admin first"));

    let res = admin.post_json("/api/v1/workspace/leave", json!({})).await;
    assert_eq!(problem(res).await["code"], "sole_member", "a sole member deletes instead");

    let bob = join(&app, &admin, "Bob", "bob@example.com", "member").await;
    let res = admin.post_json("/api/v1/workspace/leave", json!({})).await;
    assert_eq!(problem(res).await["code"], "last_admin");
    let res = admin.delete(&format!("/api/v1/members/{ada_id}")).await;
    assert_eq!(problem(res).await["code"], "cannot_remove_self");

    // With a second Admin, the first may step down.
    let bob_id = member_id(&admin, "bob@example.com").await;
    assert_eq!(
        admin.patch(&format!("/api/v1/members/{bob_id}"), json!({"role": "admin"})).await.status(),
        StatusCode::OK
    );
    assert_eq!(bob.get("/settings/general").await.status(), StatusCode::OK, "the new role applies at once");
    assert_eq!(
        admin.patch(&format!("/api/v1/members/{ada_id}"), json!({"role": "viewer"})).await.status(),
        StatusCode::OK
    );
    assert_eq!(admin.get("/settings/general").await.status(), StatusCode::SEE_OTHER);
    let res = bob.patch(&format!("/api/v1/members/{bob_id}"), json!({"role": "member"})).await;
    assert_eq!(problem(res).await["code"], "last_admin");
}

#[tokio::test]
async fn two_admins_demoting_each_other_at_once_never_leave_zero_admins() {
    let app = TestApp::spawn().await;
    let ada = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let bob = join(&app, &ada, "Bob", "bob@example.com", "admin").await;
    let ada_id = member_id(&ada, "ada@example.com").await;
    let bob_id = member_id(&ada, "bob@example.com").await;
    for _ in 0..5 {
        let (bob_path, ada_path) = (format!("/api/v1/members/{bob_id}"), format!("/api/v1/members/{ada_id}"));
        let (a, b) = tokio::join!(
            ada.patch(&bob_path, json!({"role": "member"})),
            bob.patch(&ada_path, json!({"role": "member"})),
        );
        let ok = [a.status(), b.status()].iter().filter(|s| **s == StatusCode::OK).count();
        assert_eq!(ok, 1, "exactly one demotion wins: {} / {}", a.status(), b.status());
        let admins = members(if a.status() == StatusCode::OK { &ada } else { &bob })
            .await
            .iter()
            .filter(|m| m["role"] == "admin" && m["status"] == "ACTIVE")
            .count();
        assert_eq!(admins, 1);
        // Restore two Admins for the next round.
        let (winner, loser_id) = if a.status() == StatusCode::OK { (&ada, &bob_id) } else { (&bob, &ada_id) };
        assert_eq!(
            winner.patch(&format!("/api/v1/members/{loser_id}"), json!({"role": "admin"})).await.status(),
            StatusCode::OK
        );
    }
}

#[tokio::test]
async fn a_removed_member_loses_access_at_once_and_can_be_invited_again() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let bob = join(&app, &admin, "Bob", "bob@example.com", "member").await;
    let ws = admin.workspace_id().await;
    assert_eq!(bob.workspace().await["id"], ws.as_str());
    let bob_id = member_id(&admin, "bob@example.com").await;
    let res = admin.delete(&format!("/api/v1/members/{bob_id}")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.expect("json")["status"], "REMOVED");

    // Bob's very next request no longer reaches Acme Voice.
    let res = bob.get("/api/v1/workspace").await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_eq!(problem(res).await["code"], "no_workspace");
    let res = bob.api(Method::POST, &format!("/api/v1/workspaces/{ws}/switch"), None).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(members(&admin).await.iter().any(|m| m["email"] == "bob@example.com" && m["status"] == "REMOVED"));

    // Invited again, he is back.
    assert_eq!(invite(&admin, "bob@example.com", "viewer").await.status(), StatusCode::CREATED);
    app.run_jobs().await;
    let link = app.invitation_links().pop().expect("link");
    let mut bob = bob;
    bob.load_csrf(&link).await;
    let res = bob.post_form(&format!("{link}/accept"), &[]).await;
    assert_eq!(location(&res), "/");
    assert_eq!(bob.workspace().await["role"], "viewer");
}

#[tokio::test]
async fn a_member_who_leaves_loses_access_and_lands_elsewhere() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let mut bob = join(&app, &admin, "Bob", "bob@example.com", "member").await;
    let own = bob.create_workspace("Bob Co").await;
    bob.switch_to(&admin.workspace_id().await).await;
    bob.load_csrf("/").await;
    let res = bob.post_form("/workspace/leave", &[]).await;
    assert_eq!(location(&res), "/");
    assert_eq!(flash_text(&res).as_deref(), Some("You left Acme Voice."));
    // Home shows the workspace he still has (not an error page).
    let home = bob.get_text("/").await;
    assert!(home.contains("<h1>Bob Co</h1>"), "{home}");
    assert_eq!(bob.workspace().await["id"], own["id"], "moved to the workspace left to him");
    assert!(members(&admin).await.iter().any(|m| m["email"] == "bob@example.com" && m["status"] == "LEFT"));
}

#[tokio::test]
async fn deleting_a_workspace_removes_every_row_and_file_but_keeps_its_deletion_entry() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let other = admin.create_workspace("Second Space").await;
    let bob = join(&app, &admin, "Bob", "bob@example.com", "member").await;
    assert_eq!(invite(&admin, "carol@example.com", "member").await.status(), StatusCode::CREATED);
    assert_eq!(admin.put_bytes("/api/v1/workspace/logo", png(40, 40), "image/png").await.status(), StatusCode::OK);
    let ws = admin.workspace_id().await;

    let res = admin.api(Method::DELETE, "/api/v1/workspace", Some(json!({"confirm_name": "Acme"}))).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem(res).await["errors"][0]["field"], "confirm_name");
    assert_eq!(bob.get("/api/v1/workspace").await.status(), StatusCode::OK, "nothing deleted yet");
    let res = bob.api(Method::DELETE, "/api/v1/workspace", Some(json!({"confirm_name": "Acme Voice"}))).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "Admins only");

    let res = admin.api(Method::DELETE, "/api/v1/workspace", Some(json!({"confirm_name": "Acme Voice"}))).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);

    // Every table with a workspace_id column is empty for it, whichever
    // tables later features add.
    let db = &app.state.db;
    let tables: Vec<String> = match db.backend() {
        Backend::Sqlite => fetch_all!(
            db,
            (String,),
            "SELECT m.name FROM sqlite_master m JOIN pragma_table_info(m.name) p
             WHERE m.type = 'table' AND p.name = 'workspace_id'"
        ),
        Backend::Postgres => fetch_all!(
            db,
            (String,),
            "SELECT table_name::text FROM information_schema.columns
             WHERE column_name = 'workspace_id' AND table_schema = current_schema()"
        ),
    }
    .expect("tables")
    .into_iter()
    .map(|(t,)| t)
    .collect();
    assert!(tables.contains(&"memberships".to_string()) && tables.contains(&"invitations".to_string()));
    for table in tables {
        let sql = format!("SELECT COUNT(*) FROM {table} WHERE workspace_id = $1");
        let count = fetch_scalar!(db, i64, sqlx::AssertSqlSafe(sql), ws.as_str()).expect("count");
        // The deletion's own entry is kept, and with it the head of its chain.
        let expected = i64::from(table == "audit_log" || table == "audit_chain_heads");
        assert_eq!(count, expected, "{table} still has rows of the deleted workspace");
    }
    assert_eq!(app.audit_actions(&ws).await, ["workspace.deleted"]);
    assert_eq!(fetch_scalar!(db, i64, "SELECT COUNT(*) FROM workspaces WHERE id = $1", ws.as_str()).expect("count"), 0);
    assert!(!app.state.config.data_dir.join("files/workspaces").join(&ws).exists(), "logo files deleted");

    // Members' sessions move on: the admin to her other workspace, Bob to none.
    assert!(admin.get_text("/").await.contains("<h1>Second Space</h1>"));
    assert_eq!(admin.workspace().await["id"], other["id"]);
    assert_eq!(bob.get("/api/v1/workspace").await.status(), StatusCode::CONFLICT);
}

#[tokio::test]
async fn the_members_list_searches_and_pages_without_gaps() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let ws: switchboard_core::WorkspaceId = admin.workspace_id().await.parse().expect("id");
    let now = app.clock_now();
    for i in 0..120 {
        let name = switchboard::auth::model::PersonName::parse(&format!("Member {i:03}")).expect("name");
        let email = switchboard::auth::model::EmailAddress::parse(&format!("m{i:03}@example.com")).expect("email");
        let new = switchboard::auth::users::NewUser { name: &name, email: &email, password_hash: "x" };
        let user = switchboard::auth::users::insert(&app.state.db, new, now).await.expect("insert").expect("new");
        switchboard::members::store::upsert_active(&app.state.db, &ws, &user.id, switchboard_core::Role::Member, now)
            .await
            .expect("member");
    }
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = admin.get_json(&format!("/api/v1/members?limit=50&cursor={cursor}")).await;
        seen.extend(
            page["data"].as_array().expect("data").iter().map(|m| m["email"].as_str().expect("email").to_string()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = c.to_string(),
            None => break,
        }
    }
    assert_eq!(seen.len(), 121);
    let mut unique = seen.clone();
    unique.dedup();
    assert_eq!(unique.len(), 121, "no row twice across pages");

    let found = admin.get_json("/api/v1/members?search=MEMBER%2011").await;
    let names: Vec<&str> =
        found["data"].as_array().expect("data").iter().map(|m| m["name"].as_str().expect("n")).collect();
    assert_eq!(names.len(), 10, "Member 110–119: {names:?}");
    let found = admin.get_json("/api/v1/members?search=m007%40").await;
    assert_eq!(found["data"].as_array().expect("data").len(), 1);
    let found = admin.get_json("/api/v1/members?search=%25").await;
    assert_eq!(found["data"].as_array().expect("data").len(), 0, "% is a character, not a wildcard");
    // A member who renames themselves is found, and sorted, by the new name.
    assert_eq!(admin.patch("/api/v1/me", json!({"name": "Zelda Admin"})).await.status(), StatusCode::OK);
    let found = admin.get_json("/api/v1/members?search=zelda").await;
    assert_eq!(found["data"][0]["email"], "ada@example.com");
    if app.state.db.backend() == switchboard_db::Backend::Sqlite {
        // The search went through SQLite's trigram table (migration 0024),
        // which the rename kept in step with the rows.
        let check = "INSERT INTO memberships_search (memberships_search, rank) VALUES ('integrity-check', 1)";
        switchboard_db::execute!(&app.state.db, check).expect("index in step");
    }
    let last = admin.get_json("/api/v1/members?limit=200").await;
    assert_eq!(last["data"].as_array().expect("data").last().expect("row")["name"], "Zelda Admin");
    let res = admin.get("/api/v1/members?cursor=garbage").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // The page shows the table with search and a next page link.
    let html = admin.get_text("/settings/general?search=member%2011").await;
    assert!(html.contains("Member 115"));
    assert!(!html.contains("Member 120"));
}

#[tokio::test]
async fn a_workspace_may_send_a_bounded_number_of_invitations_per_hour() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    app.without_member_limit(&admin.workspace_id().await).await;
    let limit = switchboard::invitations::service::SENDS_PER_HOUR;
    for i in 0..limit {
        assert_eq!(invite(&admin, &format!("p{i}@example.com"), "member").await.status(), StatusCode::CREATED);
    }
    let res = invite(&admin, "one-too-many@example.com", "member").await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().contains_key("retry-after"));
    assert_eq!(problem(res).await["code"], "too_many_requests");
    assert_eq!(admin.get_json("/api/v1/invitations").await["data"].as_array().expect("data").len(), limit as usize);
    // An hour later the budget is back.
    app.clock.advance(chrono::Duration::minutes(61));
    assert_eq!(invite(&admin, "later@example.com", "member").await.status(), StatusCode::CREATED);
    assert_eq!(app.run_jobs().await, limit as usize + 1, "one email job per invitation sent");
}
