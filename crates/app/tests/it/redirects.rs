//! Every redirect whose target a request supplies — sign-in's `next`, the
//! Profile Modal's and the Workspace Switcher's `back`, the Referer a
//! refused form goes back to — stays on this site, whatever the target
//! hides: tabs and newlines (browsers drop them), backslashes (read as
//! `/`), other hosts, schemes or ports.
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};

use crate::harness::{TestApp, location, png};

/// Targets that lead (or, once a browser has cleaned them, would lead)
/// somewhere else.
const OFF_SITE: &[&str] = &[
    "/\t/evil.example",
    "/\n/evil.example",
    "\t//evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "//evil.example",
    "/.//evil.example",
    "https://evil.example/",
    "javascript:alert(1)",
];

#[tokio::test]
async fn sign_in_next_stays_on_the_site() {
    let app = TestApp::spawn().await;
    let user = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    // Signed in, `/signin?next=…` redirects at once.
    let res = user.get("/signin?next=/%09/evil.example").await;
    assert_eq!((res.status(), location(&res)), (StatusCode::SEE_OTHER, "/".to_string()), "the probe's case");
    for bad in OFF_SITE {
        let url = format!("/signin?next={}", urlencode(bad));
        assert_eq!(location(&user.get(&url).await), "/", "{bad:?}");
    }
    for (good, to) in [
        ("/settings/general", "/settings/general"),
        ("/settings/audit-log?action=member.*", "/settings/audit-log?action=member.*"),
        (&format!("{}/profile", app.url), "/profile"),
    ] {
        assert_eq!(location(&user.get(&format!("/signin?next={}", urlencode(good))).await), to, "{good}");
    }

    // Signed out: the form does not carry the target, and posting it anyway
    // lands on the home page.
    let visitor = app.visitor();
    let html = visitor.get_text("/signin?next=/%09/evil.example").await;
    assert!(!html.contains("name=\"next\""), "no hidden next field for an off-site target");
    let html = visitor.get_text("/signin?next=/settings/general").await;
    let kept = html.replace("&#x2f;", "/");
    assert!(kept.contains("name=\"next\" value=\"/settings/general\""), "a local one is kept");
    for bad in OFF_SITE {
        let mut visitor = app.visitor();
        visitor.load_csrf("/signin").await;
        let res = visitor
            .post_form("/signin", &[("email", "ada@example.com"), ("password", "correct horse battery"), ("next", bad)])
            .await;
        assert_eq!((res.status(), location(&res)), (StatusCode::SEE_OTHER, "/".to_string()), "{bad:?}");
    }
}

#[tokio::test]
async fn profile_and_workspace_switch_back_stay_on_the_site() {
    let app = TestApp::spawn().await;
    let mut user = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let ws = user.workspace_id().await;
    user.load_csrf("/profile").await;
    for bad in OFF_SITE {
        let res = user.post_form("/profile", &[("name", "Ada"), ("phone", ""), ("back", bad)]).await;
        assert_eq!((res.status(), location(&res)), (StatusCode::SEE_OTHER, "/profile".to_string()), "{bad:?}");
        let res = user.post_form("/profile/avatar/delete", &[("back", bad)]).await;
        assert_eq!(location(&res), "/profile", "avatar removal, {bad:?}");
        let res = user.post_form("/workspaces/switch", &[("workspace_id", &ws), ("back", bad)]).await;
        assert_eq!((res.status(), location(&res)), (StatusCode::SEE_OTHER, "/".to_string()), "switch, {bad:?}");
    }
    // The avatar upload reads `back` from its multipart form.
    let csrf = user.csrf.clone().expect("csrf");
    let form = Form::new()
        .text("_csrf", csrf)
        .text("back", "/\t/evil.example")
        .part("avatar", Part::bytes(png(64, 64)).file_name("a.png").mime_str("image/png").expect("mime"));
    let res = user.client.post(user.at("/profile/avatar")).multipart(form).send().await.expect("upload");
    assert_eq!((res.status(), location(&res)), (StatusCode::SEE_OTHER, "/profile".to_string()));
    // Local targets still work.
    let res = user.post_form("/profile", &[("name", "Ada"), ("phone", ""), ("back", "/settings/general")]).await;
    assert_eq!(location(&res), "/settings/general");
    let res = user.post_form("/workspaces/switch", &[("workspace_id", &ws), ("back", "/profile")]).await;
    assert_eq!(location(&res), "/profile");
}

#[tokio::test]
async fn a_refused_form_goes_back_only_to_a_referer_on_this_site() {
    let app = TestApp::spawn().await;
    let user = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    // A form post without a valid CSRF token is refused and sent back to
    // the page it came from, when that page is one of ours.
    let refused = |referer: String| {
        let user = &user;
        async move {
            let res = user
                .client
                .post(user.at("/profile"))
                .header("referer", referer)
                .form(&[("_csrf", "wrong"), ("name", "Mallory")])
                .send()
                .await
                .expect("POST");
            assert_eq!(res.status(), StatusCode::SEE_OTHER);
            location(&res)
        }
    };
    assert_eq!(refused(format!("{}/settings/general", app.url)).await, "/settings/general");
    for bad in [
        format!("{}/\t/evil.example", app.url),
        format!("{}/\\evil.example", app.url),
        format!("{}/.//evil.example", app.url),
        "https://evil.example/settings/general".to_string(),
        format!("{}/x", app.url.replace("http://", "https://")),
    ] {
        assert_eq!(refused(bad.clone()).await, "/", "{bad:?}");
    }
}

fn urlencode(raw: &str) -> String {
    url::form_urlencoded::byte_serialize(raw.as_bytes()).collect()
}
