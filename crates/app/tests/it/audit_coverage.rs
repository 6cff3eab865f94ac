//! Audit coverage: every mutating route of the router (taken from
//! `routes::route_table`, so a route mounted later joins by itself) is
//! called with valid input and must leave an entry naming its actor,
//! action, target and changed fields; a Member or a token refused an
//! Admin-only route leaves `access.denied`; and no secret made during the
//! test appears in any entry, neither plain nor hashed.
mod agent_recipes;
mod audience_recipes;
mod billing_recipes;
mod byoc_recipes;
mod contact_recipes;
mod credit_recipes;
mod phone_number_page_recipes;
mod phone_number_recipes;
mod recipes;
mod subscription_recipes;
mod two_factor_recipes;
mod voice_recipes;
pub mod webhook_recipes;

use std::collections::HashSet;

use chrono::Duration;
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};
use switchboard::audit::AuditEntry;
use switchboard::routes::route_table;
use switchboard::secrets::sha256_hex;
use switchboard_db::fetch_all;

use crate::developer::{TokenClient, create_token};
use crate::harness::{TestApp, Visitor, flash_text};

/// Mutating routes that change no workspace data, so no entry is due.
const NO_ENTRY: &[(&str, &str)] = &[
    // The quality report of voice samples: decoded and forgotten, nothing kept.
    ("POST", "/api/v1/voices/analyze"),
    // Connecting the workspace's ElevenLabs key is verified at ElevenLabs
    // first, which this walk cannot reach; its entry (`voice.provider_key_set`,
    // the account's label and never the key) is checked against Prism in
    // `voices::the_workspaces_own_key_is_verified_sealed_and_used_by_the_job`.
    ("PUT", "/api/v1/voices/provider-key"),
    // The same two on Settings → Voices: the clone page's "Check quality"
    // (nothing kept) and its ElevenLabs key form (verified at ElevenLabs).
    ("POST", "/settings/voices/clone/check"),
    ("POST", "/settings/voices/elevenlabs-key"),
    // Ends the caller's own session.
    ("POST", "/signout"),
    // Moves the caller's own session to another of their workspaces:
    // nothing in either workspace changes. (Signing in, which starts a
    // session in a workspace, is audited as `member.signed_in`.)
    ("POST", "/workspaces/switch"),
    ("POST", "/api/v1/workspaces/{id}/switch"),
    // A person's profile belongs to no workspace.
    ("POST", "/profile"),
    ("POST", "/profile/avatar"),
    ("POST", "/profile/avatar/delete"),
    ("PATCH", "/api/v1/me"),
    ("PUT", "/api/v1/me/avatar"),
    ("DELETE", "/api/v1/me/avatar"),
    // So do its password and sessions (account_security).
    ("POST", "/password/forgot"),
    ("POST", "/password/reset/{token}"),
    ("POST", "/profile/password"),
    ("POST", "/profile/sessions/sign-out-others"),
    ("POST", "/profile/sessions/{handle}/sign-out"),
    // A new verification email for the caller's own address.
    ("POST", "/verify-email/resend"),
    ("POST", "/api/v1/me/verification-email"),
    // Sends the Admin to Stripe Checkout (with Stripe configured; 404 on
    // the sandbox this walk runs): nothing is saved until Stripe's signed
    // event arrives, whose entry is `payment_method.updated`.
    ("POST", "/settings/subscription/payment-method/stripe"),
    // Stripe's signed events: their changes are audited as the system's
    // (payment_method.updated, invoice.paid, invoice.payment_failed,
    // subscription.synced), which tests/it/stripe_events.rs checks; this
    // walk runs without a Stripe webhook secret, so every call is a 401.
    ("POST", "/inbound/stripe"),
    // Usage reported by services, up to 50 batches a second: an entry per
    // batch would bury the Audit Log. The events and their ledger debits
    // are their own record, reconciled by `switchboard usage verify`.
    ("POST", "/api/v1/usage/events"),
    // The carriers' callbacks for our numbers (phone_numbers/inbound.rs):
    // a voice callback only answers with TwiML; a call's status becomes a
    // usage event (the same record, for the same reason, as the usage API
    // above); an inbound SMS is kept as a message, not a change anyone
    // made. tests/it/phone_numbers_inbound.rs covers them; this walk runs
    // without the carriers' secrets, so every call is a 401.
    ("POST", "/inbound/twilio/voice"),
    ("POST", "/inbound/twilio/status"),
    ("POST", "/inbound/twilio/sms"),
    ("POST", "/inbound/telnyx/voice"),
    ("POST", "/inbound/telnyx/status"),
    ("POST", "/inbound/telnyx/sms"),
    // A CSV import's draft: the uploaded file and its mapping are kept
    // while the person checks the preview; nothing is imported until the
    // start, whose entry (`import.started`: kind, file, mapped fields,
    // duplicate policy) the walk checks, and the job writes each row's
    // own entry and `import.finished` (tests/it/imports.rs).
    ("POST", "/api/v1/imports"),
    ("PUT", "/api/v1/imports/{import_id}/mapping"),
    ("POST", "/contacts/import"),
    ("POST", "/contacts/import/{id}/mapping"),
    ("POST", "/settings/audiences/suppression/import"),
    ("POST", "/settings/audiences/suppression/import/{id}/mapping"),
];

/// The test's workspace, its Admin (session and an Admin token), and every
/// secret made along the way.
pub struct World {
    pub app: TestApp,
    pub admin: Visitor,
    pub ws: String,
    pub token: TokenClient,
    n: usize,
    /// Plaintext secrets: passwords, API tokens, invitation and session tokens.
    pub secrets: Vec<String>,
}

/// The `sb_session` cookie a sign-up or sign-in set.
fn session_cookie(res: &Response) -> Option<String> {
    res.headers().get_all("set-cookie").iter().find_map(|v| {
        let value = v.to_str().ok()?.strip_prefix("sb_session=")?.split(';').next()?;
        Some(value.to_string()).filter(|v| !v.is_empty())
    })
}

impl World {
    pub async fn new() -> World {
        let app = TestApp::spawn().await;
        let mut admin = app.visitor();
        let res = admin.sign_up("Ada", "ada@example.com", "ada's long password 1").await;
        let mut secrets = vec!["ada's long password 1".to_string()];
        secrets.extend(session_cookie(&res));
        let ws = admin.create_workspace("Acme Voice").await["id"].as_str().expect("id").to_string();
        admin.switch_to(&ws).await;
        app.verify_email(&admin).await;
        let (_, secret) = create_token(&admin, "Coverage", "admin", None).await;
        let token = TokenClient::bearer(&app.url, &secret);
        secrets.push(secret);
        World { app, admin, ws, token, n: 0, secrets }
    }

    pub fn next(&mut self) -> usize {
        self.n += 1;
        self.n
    }

    /// A new password, remembered as a secret.
    pub fn password(&mut self) -> String {
        let password = format!("secret password number {}", self.next());
        self.secrets.push(password.clone());
        password
    }

    /// Remembers the session a response started.
    pub fn keep_session(&mut self, res: &Response) {
        self.secrets.extend(session_cookie(res));
    }

    /// A signed-up user in no workspace: (visitor, email, password).
    pub async fn person(&mut self) -> (Visitor, String, String) {
        let n = self.next();
        let email = format!("person{n}@example.com");
        let password = self.password();
        let mut v = self.app.visitor();
        let res = v.sign_up(&format!("Person {n}"), &email, &password).await;
        self.keep_session(&res);
        (v, email, password)
    }

    /// A new member of the workspace with `role`: (visitor, membership ID, email, password).
    pub async fn member(&mut self, role: &str) -> (Visitor, String, String, String) {
        let (v, email, password) = self.person().await;
        self.app.add_member(&self.ws, &v, role).await;
        v.switch_to(&self.ws).await;
        let list = self.admin.get_json(&format!("/api/v1/members?search={}", email.replace('@', "%40"))).await;
        let id = list["data"][0]["id"].as_str().expect("member id").to_string();
        (v, id, email, password)
    }

    /// A pending invitation: (ID, email).
    pub async fn invitation(&mut self) -> (String, String) {
        let email = format!("invitee{}@example.com", self.next());
        let res = self.admin.post_json("/api/v1/invitations", json!({"email": email, "role": "member"})).await;
        assert_eq!(res.status(), StatusCode::CREATED, "invite");
        let body: Value = res.json().await.expect("json");
        (body["id"].as_str().expect("id").to_string(), email)
    }

    /// The token of the newest invitation link sent.
    pub async fn newest_link_token(&mut self) -> String {
        self.app.run_jobs().await;
        let links = self.app.invitation_links();
        let token = links.last().expect("a link").trim_start_matches("/invite/").to_string();
        self.secrets.extend(links.iter().map(|l| l.trim_start_matches("/invite/").to_string()));
        token
    }

    /// The IDs of every audit entry so far, in every workspace.
    pub async fn mark(&self) -> HashSet<String> {
        self.entries().await.into_iter().map(|e| e.id).collect()
    }

    pub async fn entries(&self) -> Vec<AuditEntry> {
        fetch_all!(
            &self.app.state.db,
            AuditEntry,
            "SELECT id, actor_type, actor_id, actor_name, action, target_type, target_id, target_name, changes, ip,
                    user_agent, created_at
             FROM audit_log ORDER BY created_at, id"
        )
        .expect("audit entries")
    }

    /// A form post by the Admin's session in the workspace.
    pub async fn page(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        let mut all = fields.to_vec();
        all.push(("_workspace", &self.ws));
        self.admin.post_form(path, &all).await
    }
}

/// What is missing from an entry, if anything.
fn incomplete(e: &AuditEntry) -> Option<&'static str> {
    let blank = |s: &str| s.trim().is_empty();
    if blank(&e.actor_type) || e.actor_id.as_deref().is_none_or(blank) || blank(&e.actor_name) {
        return Some("its actor (type, ID and name)");
    }
    if blank(&e.action) {
        return Some("its action");
    }
    if blank(&e.target_type) || blank(&e.target_id) || blank(&e.target_name) {
        return Some("its target (type, ID and name)");
    }
    if e.changes.0.is_empty() {
        return Some("the changed fields");
    }
    None
}

#[tokio::test]
async fn every_mutating_route_leaves_a_complete_entry_and_no_secret() {
    let mut w = World::new().await;
    let table = route_table(&w.app.state);
    let mutating: Vec<_> = table.into_iter().filter(|r| r.method != "GET").collect();
    for (method, path) in NO_ENTRY {
        assert!(
            mutating.iter().any(|r| r.method == *method && r.path == *path),
            "NO_ENTRY names {method} {path}, which is not a mounted mutating route"
        );
    }
    let mut failures = Vec::new();
    for route in &mutating {
        let (method, path) = (route.method.as_str(), route.path.as_str());
        if NO_ENTRY.contains(&(method, path)) {
            continue;
        }
        let Some(called) = recipes::call(&mut w, method, path).await else {
            failures.push(format!(
                "{method} {path}: no recipe in audit_coverage/recipes.rs (or, if it changes no workspace data, \
                 a reason on NO_ENTRY)"
            ));
            continue;
        };
        let new: Vec<AuditEntry> = w.entries().await.into_iter().filter(|e| !called.mark.contains(&e.id)).collect();
        if !new.iter().any(|e| e.action == called.action) {
            let seen: Vec<&str> = new.iter().map(|e| e.action.as_str()).collect();
            failures.push(format!(
                "{method} {path}: answered {}, no {} entry (new: {seen:?})",
                called.status, called.action
            ));
        }
        for e in &new {
            if let Some(missing) = incomplete(e) {
                failures.push(format!("{method} {path}: its {} entry lacks {missing}: {e:?}", e.action));
            }
        }
    }
    assert!(failures.is_empty(), "audit coverage gaps:\n{}", failures.join("\n"));
    assert_no_secret_in_the_log(&w).await;
    assert_events_carry_their_declared_fields(&w.entries().await);
}

/// Every entry's action is catalogued, and for every action that publishes
/// an event, the fields its service writes are the event's declared
/// fields: none undeclared, and each declared one written by some entry.
fn assert_events_carry_their_declared_fields(entries: &[AuditEntry]) {
    use std::collections::{BTreeMap, BTreeSet};
    let actions = switchboard::audit::catalogue::actions();
    let mut written: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    let mut failures = Vec::new();
    for e in entries {
        let Some(action) = actions.iter().find(|a| a.name == e.action) else {
            failures.push(format!("{} is not in any feature's catalogue", e.action));
            continue;
        };
        let Some(event) = action.event else { continue };
        for field in e.changes.0.0.keys() {
            if !event.fields.contains(&field.as_str()) {
                failures.push(format!("{} writes {field:?}, which {} does not declare", e.action, event.name));
            }
            written.entry(event.name).or_default().insert(field.clone());
        }
    }
    for event in switchboard::events::catalogue().iter().filter(|e| e.subscribable) {
        if matches!(event.payload, switchboard::events::Payload::Custom(_)) {
            continue;
        }
        let seen = written.get(event.name).cloned().unwrap_or_default();
        for field in event.fields {
            if !seen.contains(*field) {
                failures.push(format!("{} declares {field:?}, which no entry in the walk wrote", event.name));
            }
        }
    }
    assert!(failures.is_empty(), "event fields drifted:\n{}", failures.join("\n"));
}

/// Fails if any secret made during the test, or its SHA-256, or any stored
/// hash (argon2 password hashes, token, invitation and session hashes)
/// appears in any column of any audit entry.
async fn assert_no_secret_in_the_log(w: &World) {
    let db = &w.app.state.db;
    let mut needles: Vec<String> = Vec::new();
    for secret in &w.secrets {
        needles.push(secret.clone());
        needles.push(sha256_hex(secret));
    }
    for sql in [
        "SELECT password_hash FROM users",
        "SELECT token_hash FROM api_tokens",
        "SELECT token_hash FROM invitations",
        "SELECT id FROM sessions",
    ] {
        needles.extend(fetch_all!(db, (String,), sql).expect("stored hashes").into_iter().map(|(h,)| h));
    }
    assert!(needles.len() > 20, "the test made secrets to look for: {}", needles.len());
    let mut haystack = serde_json::to_string(&w.entries().await).expect("json");
    let chain: Vec<(String, i64, Option<String>, Option<String>)> = fetch_all!(
        db,
        (String, i64, Option<String>, Option<String>),
        "SELECT workspace_id, seq, prev_hash, hash FROM audit_log"
    )
    .expect("chain columns");
    haystack.push_str(&format!("{chain:?}"));
    for needle in needles.iter().filter(|n| n.len() >= 8) {
        assert!(!haystack.contains(needle.as_str()), "a secret (or its hash) is in the audit log: {needle}");
    }
}

#[tokio::test]
async fn a_member_or_token_refused_an_admin_only_route_leaves_access_denied() {
    let mut w = World::new().await;
    let (member, member_id, _, _) = w.member("member").await;
    let denied = |w: &World| {
        let ws = w.ws.clone();
        let db = w.app.state.db.clone();
        async move {
            let ws: switchboard_core::WorkspaceId = ws.parse().expect("ws");
            let all = switchboard::audit::list_recent(&db, &ws, 1000).await.expect("entries");
            all.into_iter().filter(|e| e.action == "access.denied").collect::<Vec<_>>()
        }
    };

    // The API answers 403, and the entry names who, where and what was missing.
    let res = member.patch("/api/v1/workspace", json!({"name": "Taken Over"})).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let entries = denied(&w).await;
    assert_eq!(entries.len(), 1, "{entries:?}");
    let e = &entries[0];
    assert_eq!((e.actor_type.as_str(), e.actor_name.as_str()), ("user", "Person 1"));
    assert_eq!((e.target_type.as_str(), e.target_id.as_str()), ("route", "PATCH /api/v1/workspace"));
    assert_eq!(e.target_name, "PATCH /api/v1/workspace");
    assert_eq!(e.changes.0.0["permission"].after, "manage_settings");
    assert_eq!(e.changes.0.0["role"].after, "member");
    assert_eq!(incomplete(e), None);
    assert_eq!(w.admin.workspace().await["name"], "Acme Voice", "nothing changed");

    // Repeats within the window are coalesced; after it, they count again.
    assert_eq!(member.patch("/api/v1/workspace", json!({"name": "Again"})).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(denied(&w).await.len(), 1);
    w.app.clock.advance(Duration::minutes(switchboard::audit::denied::COALESCE_MINUTES + 1));
    assert_eq!(member.patch("/api/v1/workspace", json!({"name": "Again"})).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(denied(&w).await.len(), 2);

    // A form post is an attempt (a redirect with the permissions toast);
    // a page visit, which the gear icon invites, is not.
    let res = member.post_form("/settings/members/invite", &[("email", "mallory@example.com")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(flash_text(&res).unwrap_or_default().contains("permission"));
    let res = member.get("/settings/general").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let entries = denied(&w).await;
    assert_eq!(entries.len(), 3, "{entries:?}");
    assert_eq!(entries[0].target_id, "POST /settings/members/invite");
    // Refused by the Admin layer, which asks for Settings.
    assert_eq!(entries[0].changes.0.0["permission"].after, "manage_settings");

    // A Member-role token: the actor is the token, the path names the member.
    let (token_id, secret) = create_token(&w.admin, "Member bot", "member", None).await;
    let bot = TokenClient::bearer(&w.app.url, &secret);
    let res = bot.call(Method::DELETE, &format!("/api/v1/members/{member_id}"), None).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let entries = denied(&w).await;
    assert_eq!(entries.len(), 4);
    let e = &entries[0];
    assert_eq!((e.actor_type.as_str(), e.actor_id.as_deref()), ("token", Some(token_id.as_str())));
    assert_eq!(e.target_id, "DELETE /api/v1/members/{id}");
    assert_eq!(e.changes.0.0["path"].after, format!("/api/v1/members/{member_id}"));
    assert_eq!(e.changes.0.0["role"].after, "member");

    // The entries join the hash chain like any other.
    let report = w.admin.get_json("/api/v1/audit-log/verify").await;
    assert_eq!(report["first_break"], Value::Null, "{report}");
}
