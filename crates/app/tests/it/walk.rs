//! The permissions walk: every route of the router (pages and API, taken
//! from `routes::route_table`, not a hand list) called by an Admin, a
//! Member, a Viewer, a member of another workspace, a removed member, no
//! session, and API tokens with each role plus a revoked one. New routes
//! join the walk by being mounted.
use reqwest::{Method, StatusCode};
use serde_json::json;
use switchboard::routes::{Access, RouteInfo, route_table};

use crate::developer::create_token;
use crate::harness::{TestApp, Visitor, flash_text, location};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Actor {
    Anonymous,
    Removed,
    Outsider,
    Viewer,
    Member,
    Admin,
    AdminToken,
    MemberToken,
    ViewerToken,
    RevokedToken,
}

impl Actor {
    fn is_token(self) -> bool {
        matches!(self, Actor::AdminToken | Actor::MemberToken | Actor::ViewerToken | Actor::RevokedToken)
    }
}

/// What a refused request looks like, page or API.
fn refused(route: &RouteInfo, res: &reqwest::Response) -> bool {
    let status = res.status();
    if route.path.starts_with("/api/") {
        return matches!(status.as_u16(), 401 | 403 | 404 | 409);
    }
    if status == StatusCode::SEE_OTHER {
        let to = location(res);
        let toast = flash_text(res).unwrap_or_default();
        // A form without the session's CSRF token (a token caller's) is refused too.
        return to == "/signin"
            || to == "/workspaces/new"
            || toast.contains("permission")
            || toast.contains("did not come from Switchboard")
            // A removed member's pages name no workspace any more.
            || toast.contains("did not say which workspace");
    }
    matches!(status.as_u16(), 401 | 403 | 404 | 409)
}

fn concrete(path: &str, ws: &str, user: &str) -> String {
    path.replace(
        "{id}",
        if path.contains("/invitations/") {
            "inv_00000000000000000000000000"
        } else {
            "mem_00000000000000000000000000"
        },
    )
    .replace("{delivery_id}", "whd_00000000000000000000000000")
    .replace("{agent_id}", "agt_00000000000000000000000000")
    .replace("{token}", "not-a-real-token")
    .replace("{name}", "app.css")
    .replace("{workspace_id}", ws)
    .replace("{user_id}", user)
    .replace("{version}", "1")
    .replace("{file}", "256.png")
    .replace("/api/v1/workspaces/mem_00000000000000000000000000/switch", &format!("/api/v1/workspaces/{ws}/switch"))
}

/// Calls the route as `v`; a form carries the `_workspace` field of the
/// workspace `v`'s pages are rendered for (`form_ws`), as real forms do, so
/// the policy and not the CSRF layer decides.
async fn call(v: &Visitor, route: &RouteInfo, path: &str, form_ws: &str) -> reqwest::Response {
    let method = Method::from_bytes(route.method.as_bytes()).expect("method");
    let mut req = v.client.request(method.clone(), v.at(path));
    if let Some(token) = &v.csrf {
        req = req.header("x-csrf-token", token);
    }
    if method != Method::GET {
        req = match (path.starts_with("/api/"), form_ws) {
            (true, _) => req.json(&json!({})),
            (false, "") => req.form(&[("walk", "1")]),
            (false, ws) => req.form(&[("walk", "1"), ("_workspace", ws)]),
        };
    }
    req.send().await.expect("request")
}

#[tokio::test]
async fn every_route_answers_each_actor_as_the_policy_says() {
    // The anonymous visitor calls every route; with the test clock standing
    // still, the default per-IP budget (300, no refill) would run out first.
    let app = TestApp::spawn_with_args(|a| a.rate_limits.ip = Some("100000/m".into())).await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let ws = admin.workspace_id().await;
    let admin_user = admin.get_json("/api/v1/me").await["id"].as_str().expect("id").to_string();
    let mut actors: Vec<(Actor, Visitor)> = Vec::new();
    // Tokens first: the session actors' walk ends with signing out.
    for (actor, role) in [
        (Actor::AdminToken, "admin"),
        (Actor::MemberToken, "member"),
        (Actor::ViewerToken, "viewer"),
        (Actor::RevokedToken, "admin"),
    ] {
        let (id, token) = create_token(&admin, &format!("{actor:?}"), role, None).await;
        if actor == Actor::RevokedToken {
            assert_eq!(admin.delete(&format!("/api/v1/tokens/{id}")).await.status(), StatusCode::OK);
        }
        actors.push((actor, app.token_visitor(&token)));
    }
    for (actor, role, email) in [
        (Actor::Viewer, "viewer", "v@example.com"),
        (Actor::Member, "member", "m@example.com"),
        (Actor::Removed, "member", "r@example.com"),
    ] {
        let mut user = app.visitor();
        user.sign_up(email, email, "correct horse battery").await;
        app.add_member(&ws, &user, role).await;
        user.switch_to(&ws).await;
        actors.push((actor, user));
    }
    let removed_id = admin.get_json("/api/v1/members?search=r%40example.com").await["data"][0]["id"]
        .as_str()
        .expect("id")
        .to_string();
    assert_eq!(admin.delete(&format!("/api/v1/members/{removed_id}")).await.status(), StatusCode::OK);
    actors.push((Actor::Outsider, app.user_with_workspace("Eve", "eve@example.com", "Evil Corp").await));
    // A visitor with the sign-in form's token, so CSRF passes and the
    // policy itself must refuse.
    let mut anonymous = app.visitor();
    anonymous.load_csrf("/signin").await;
    actors.push((Actor::Anonymous, anonymous));

    // Routes that end the session or the membership go last.
    let mut table = route_table(&app.state);
    assert!(table.len() > 40, "the table has every route: {}", table.len());
    table.sort_by_key(|r| match r.path.as_str() {
        "/signout" => 2,
        p if p.ends_with("/leave") => 1,
        _ => 0,
    });

    let mut failures = Vec::new();
    for (actor, visitor) in actors.iter().chain(std::iter::once(&(Actor::Admin, admin))) {
        let form_ws = visitor.current_workspace_id().await;
        for route in &table {
            let path = concrete(&route.path, &ws, &admin_user);
            let res = call(visitor, route, &path, &form_ws).await;
            let status = res.status();
            if status.is_server_error() {
                failures.push(format!("{actor:?} {} {path}: {status}", route.method));
                continue;
            }
            let is_api = route.path.starts_with("/api/");
            let must_refuse = match (route.access, actor) {
                (Access::Public, _) => false,
                // Nobody in the walk signs as a vendor.
                (Access::Inbound, _) => true,
                // Tokens work on the API only, inside their workspace, with their role.
                (_, a) if a.is_token() && !is_api => true,
                (_, Actor::RevokedToken) => true,
                (Access::SignedIn, a) if a.is_token() => true,
                (Access::Member, a) if a.is_token() => false,
                (Access::Admin, Actor::AdminToken) => false,
                (Access::Admin, a) if a.is_token() => true,
                (Access::Editor, Actor::ViewerToken) => true,
                (Access::Editor, a) if a.is_token() => false,
                (_, Actor::Anonymous) => true,
                (Access::SignedIn, _) => false,
                (Access::Member, Actor::Removed) => true,
                (Access::Member, _) => false,
                (Access::Editor, Actor::Removed | Actor::Viewer) => true,
                (Access::Editor, _) => false,
                (Access::Admin, Actor::Admin | Actor::Outsider) => false,
                (Access::Admin, _) => true,
            };
            let was_refused = refused(route, &res);
            let wrongly_allowed = must_refuse && !was_refused;
            // Allowed callers may still get 404/409/422 for the walk's fake
            // IDs and empty bodies, but never 401/403 or the sign-in page.
            // (Signing out, and public pages for visitors, lead to /signin by design.)
            let sent_to_sign_in =
                location(&res) == "/signin" && route.access != Access::Public && route.path != "/signout";
            // Presenting a dead token is refused even where no token is
            // needed (the OpenAPI document): bad credentials are never ignored.
            let dead_token_on_api = actor == &Actor::RevokedToken && is_api && status == StatusCode::UNAUTHORIZED;
            let wrongly_refused = !must_refuse
                && !dead_token_on_api
                && (matches!(status.as_u16(), 401 | 403)
                    || sent_to_sign_in
                    || flash_text(&res).unwrap_or_default().contains("permission"));
            if wrongly_allowed || wrongly_refused {
                failures.push(format!(
                    "{actor:?} {} {path} ({:?}): {status} → {} {:?}",
                    route.method,
                    route.access,
                    location(&res),
                    flash_text(&res)
                ));
            }
        }
    }
    assert!(failures.is_empty(), "policy violations:\n{}", failures.join("\n"));
}
