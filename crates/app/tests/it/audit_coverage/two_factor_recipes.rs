//! Recipes for the two-factor routes (see `recipes.rs`). The TOTP secrets
//! and recovery codes the pages show join the secrets the scan looks for.
use reqwest::{Method, StatusCode};
use serde_json::json;

use super::World;
use super::recipes::{Called, called};
use crate::harness::Visitor;
use crate::two_factor::totp;

fn shown<'a>(html: &'a str, start: &str) -> Vec<&'a str> {
    html.match_indices(start).filter_map(|(at, _)| html[at + start.len()..].split('<').next()).collect()
}

fn code(w: &World, secret: &str) -> String {
    totp(secret, w.app.clock_now().timestamp())
}

/// Turns two-factor sign-in on for `v`: its secret.
async fn enable(w: &mut World, v: &Visitor) -> String {
    let page = v.get_text("/profile/two-factor").await;
    let secret = shown(&page, "id=\"totp-secret\">").pop().expect("secret").to_string();
    w.secrets.push(secret.clone());
    let res = v.post_form("/profile/two-factor", &[("code", &code(w, &secret))]).await;
    assert_eq!(res.status(), StatusCode::OK, "two-factor set-up");
    let html = res.text().await.unwrap_or_default();
    w.secrets.extend(shown(&html, "class=\"secret recovery-code\">").into_iter().map(str::to_string));
    // The next code is another step's.
    w.app.clock.advance(chrono::Duration::seconds(30));
    secret
}

/// Turns the requirement off again with the Admin token, so later recipes'
/// members are not sent to set-up.
async fn requirement_off(w: &World) {
    let res = w.token.call(Method::PUT, "/api/v1/workspace/two-factor", Some(json!({"required": false}))).await;
    assert_eq!(res.status(), StatusCode::OK);
}

pub async fn call(w: &mut World, method: &str, path: &str) -> Option<Called> {
    let c = match (method, path) {
        ("POST", "/profile/two-factor") => {
            let (v, _, _, _) = w.member("member").await;
            let page = v.get_text("/profile/two-factor").await;
            let secret = shown(&page, "id=\"totp-secret\">").pop().expect("secret").to_string();
            w.secrets.push(secret.clone());
            let mark = w.mark().await;
            let res = v.post_form("/profile/two-factor", &[("code", &code(w, &secret))]).await;
            let c = called(mark, &res, "member.two_factor_enabled");
            let html = res.text().await.unwrap_or_default();
            w.secrets.extend(shown(&html, "class=\"secret recovery-code\">").into_iter().map(str::to_string));
            c
        }
        ("POST", "/profile/two-factor/disable") => {
            let (v, _, _, password) = w.member("member").await;
            let secret = enable(w, &v).await;
            let mark = w.mark().await;
            let res = v
                .post_form("/profile/two-factor/disable", &[("password", &password), ("code", &code(w, &secret))])
                .await;
            called(mark, &res, "member.two_factor_disabled")
        }
        ("POST", "/signin/two-factor") => {
            let (v, _, email, password) = w.member("member").await;
            let secret = enable(w, &v).await;
            let mut fresh = w.app.visitor();
            fresh.load_csrf("/signin").await;
            let res = fresh.post_form("/signin", &[("email", &email), ("password", &password)]).await;
            assert_eq!(res.headers().get("location").and_then(|l| l.to_str().ok()), Some("/signin/two-factor"));
            let mark = w.mark().await;
            let res = fresh.post_form("/signin/two-factor", &[("code", &code(w, &secret))]).await;
            w.keep_session(&res);
            called(mark, &res, "member.signed_in")
        }
        ("POST", "/settings/general/two-factor") => {
            let status = w.admin.get_json("/api/v1/me/two-factor").await;
            if status["enabled"] != true {
                let admin = std::mem::replace(&mut w.admin, w.app.visitor());
                enable(w, &admin).await;
                w.admin = admin;
            }
            let mark = w.mark().await;
            let res = w.admin.post_form("/settings/general/two-factor", &[("required", "on")]).await;
            let c = called(mark, &res, "workspace.two_factor_required");
            requirement_off(w).await;
            c
        }
        ("PUT", "/api/v1/workspace/two-factor") => {
            let mark = w.mark().await;
            let res = w.token.call(Method::PUT, path, Some(json!({"required": true}))).await;
            let c = called(mark, &res, "workspace.two_factor_required");
            requirement_off(w).await;
            c
        }
        _ => return super::subscription_recipes::call(w, method, path).await,
    };
    Some(c)
}
