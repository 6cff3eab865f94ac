//! One attempt over HTTP: the client webhooks go out with, and the signed
//! POST per Standard Webhooks.
use std::sync::Arc;
use std::time::Instant;

use serde_json::json;

use super::{Outcome, RESPONSE_BODY_LIMIT};
use crate::config::WebhookConfig;
use crate::state::AppState;
use crate::webhooks::{secret, ssrf};

/// Idle keep-alive connections kept per host: one per attempt that may be
/// in flight, so a busy endpoint's connections are reused, not reopened.
const IDLE_PER_HOST: usize = super::MAX_IN_FLIGHT;

/// The HTTP client webhooks go out with: no redirects (a 3xx is a
/// failure, per Standard Webhooks), time limits, and the public-only
/// resolver unless private targets are allowed. No proxy, whatever
/// `HTTP_PROXY`, `HTTPS_PROXY` or `ALL_PROXY` say: through a proxy the
/// proxy resolves the name, and the resolver's check would be skipped.
pub fn client(config: &WebhookConfig) -> anyhow::Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(config.connect_timeout)
        .timeout(config.timeout)
        .user_agent(concat!("Switchboard-Webhooks/", env!("CARGO_PKG_VERSION")))
        .pool_max_idle_per_host(IDLE_PER_HOST);
    if !config.allow_private_targets {
        builder = builder.dns_resolver(Arc::new(ssrf::PublicOnlyResolver));
    }
    Ok(builder.build()?)
}

/// One HTTP POST, per Standard Webhooks.
pub async fn send(
    state: &AppState,
    client: &reqwest::Client,
    url: &str,
    msg_id: &str,
    secrets: &[String],
    payload: String,
) -> Outcome {
    let started_at = state.clock.now();
    let timestamp = started_at.timestamp();
    let refs: Vec<&str> = secrets.iter().map(String::as_str).collect();
    let signature = secret::signature_header(&refs, msg_id, timestamp, payload.as_bytes());
    let request = json!({
        "method": "POST",
        "url": url,
        "headers": {
            "content-type": "application/json",
            "webhook-id": msg_id,
            "webhook-timestamp": timestamp.to_string(),
            "webhook-signature": signature,
        },
    });
    let clock = Instant::now();
    let mut outcome = Outcome { started_at, latency_ms: 0, status: None, error: None, request, response_body: None };
    let refused = url::Url::parse(url)
        .ok()
        .filter(|_| !state.config.webhooks.allow_private_targets)
        .and_then(|u| ssrf::literal_host_reason(&u));
    if let Some(reason) = refused {
        outcome.error = Some(format!("refused: the URL points to a {reason} address"));
        return outcome;
    }
    let result = client
        .post(url)
        .header("content-type", "application/json")
        .header("webhook-id", msg_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(payload)
        .send()
        .await;
    match result {
        Ok(mut response) => {
            outcome.status = Some(response.status().as_u16());
            let mut body = Vec::new();
            loop {
                match response.chunk().await {
                    Ok(Some(chunk)) => {
                        let room = RESPONSE_BODY_LIMIT.saturating_sub(body.len());
                        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
                        if body.len() >= RESPONSE_BODY_LIMIT {
                            break;
                        }
                    }
                    Ok(None) => break,
                    Err(err) => {
                        outcome.error = Some(format!("reading the response: {}", error_text(&err)));
                        break;
                    }
                }
            }
            outcome.response_body = Some(String::from_utf8_lossy(&body).into_owned());
        }
        Err(err) => outcome.error = Some(error_text(&err)),
    }
    outcome.latency_ms = clock.elapsed().as_millis() as i64;
    outcome
}

/// The useful part of a reqwest error: the innermost cause (the resolver's
/// refusal, "connection refused", "operation timed out").
fn error_text(err: &reqwest::Error) -> String {
    let mut text = if err.is_timeout() { "timed out".to_string() } else { err.to_string() };
    let mut source = std::error::Error::source(err);
    while let Some(inner) = source {
        text = inner.to_string();
        source = inner.source();
    }
    if err.is_timeout() && !text.contains("timed out") {
        text = format!("timed out ({text})");
    }
    text
}
