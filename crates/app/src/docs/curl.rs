//! The curl command shown beside each operation: path and query examples
//! filled in, the credentials the operation accepts, and the example body.
use serde_json::Value;

use super::reference::{Body, Parameter};

/// What the curl example authenticates with.
#[derive(Clone, Copy)]
pub enum Credentials {
    None,
    Token,
    Session,
}

/// Where a request goes.
#[derive(Clone, Copy)]
pub struct Target<'a> {
    pub base_url: &'a str,
    /// Lower case, as in the document: `get`.
    pub method: &'a str,
    pub path: &'a str,
    /// The session cookie's name, for operations only a browser may call.
    pub session_cookie: &'a str,
}

/// A runnable request: an API token where tokens work, else the
/// session cookie (and the CSRF header when the call changes things).
pub fn command(target: &Target, params: &[Parameter], body: Option<&Body>, auth: Credentials) -> String {
    let Target { base_url, method, path, session_cookie } = *target;
    let mut url = format!("{base_url}{path}");
    let mut query = Vec::new();
    for p in params {
        let Some(example) = &p.example else { continue };
        match p.location.as_str() {
            "path" => url = url.replace(&format!("{{{}}}", p.name), example),
            "query" => query.push(format!("{}={example}", p.name)),
            _ => {}
        }
    }
    if !query.is_empty() {
        url = format!("\"{url}?{}\"", query.join("&"));
    }
    let mut lines = vec![match method {
        "get" => format!("curl {url}"),
        _ => format!("curl -X {} {url}", method.to_uppercase()),
    }];
    match auth {
        Credentials::None => {}
        Credentials::Token => lines.push("-H \"Authorization: Bearer $SWITCHBOARD_TOKEN\"".into()),
        Credentials::Session => {
            lines.push(format!("-b \"{session_cookie}=$SESSION\""));
            if method != "get" {
                lines.push("-H \"x-csrf-token: $CSRF_TOKEN\"".into());
            }
        }
    }
    match body {
        Some(b) if b.binary => {
            lines.push(format!("-H \"Content-Type: {}\"", b.content_type));
            lines.push("--data-binary @image.png".into());
        }
        Some(b) => {
            lines.push(format!("-H \"Content-Type: {}\"", b.content_type));
            let compact = b
                .example
                .as_deref()
                .and_then(|e| serde_json::from_str::<Value>(e).ok())
                .map(|v| v.to_string())
                .unwrap_or_else(|| "{}".into());
            lines.push(format!("-d '{}'", compact.replace('\'', "'\\''")));
        }
        None => {}
    }
    lines.join(" \\\n  ")
}
