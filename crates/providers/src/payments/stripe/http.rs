//! One Stripe request: headers, form encoding, and Stripe's errors mapped
//! to [`PaymentError`]. Logs carry the method, path and status only.
use reqwest::{Method, StatusCode};
use serde_json::Value;

use super::{API_VERSION, Stripe};
use crate::payments::PaymentError;

/// Form fields in order (Stripe's bracket notation for nested fields).
pub(super) type Form = Vec<(&'static str, String)>;

pub(super) use crate::form::{encode, segment};

impl Stripe {
    pub(super) async fn post(&self, path: &str, form: &Form, idempotency_key: &str) -> Result<Value, PaymentError> {
        self.send(Method::POST, path, &[], Some(encode(form)), Some(idempotency_key)).await
    }

    pub(super) async fn get(&self, path: &str, query: &[(&str, &str)]) -> Result<Value, PaymentError> {
        self.send(Method::GET, path, query, None, None).await
    }

    pub(super) async fn delete(&self, path: &str) -> Result<Value, PaymentError> {
        self.send(Method::DELETE, path, &[], None, None).await
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<String>,
        idempotency_key: Option<&str>,
    ) -> Result<Value, PaymentError> {
        let mut url = format!("{}{path}", self.base);
        if !query.is_empty() {
            let pairs: Vec<(&str, String)> = query.iter().map(|(k, v)| (*k, v.to_string())).collect();
            url = format!("{url}?{}", encode(&pairs));
        }
        let mut request =
            self.http.request(method.clone(), &url).bearer_auth(&self.secret_key).header("Stripe-Version", API_VERSION);
        if let Some(key) = idempotency_key {
            request = request.header("Idempotency-Key", key);
        }
        if let Some(body) = body {
            request = request.header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded").body(body);
        }
        let response = request.send().await.map_err(|e| {
            // The error names the URL (base and path), never the key.
            PaymentError::Unavailable(format!("Stripe could not be reached: {}", e.without_url()))
        })?;
        let status = response.status();
        tracing::debug!(%method, %path, status = status.as_u16(), "stripe request");
        let bytes = response
            .bytes()
            .await
            .map_err(|e| PaymentError::Unavailable(format!("reading Stripe's answer: {}", e.without_url())))?;
        if status.is_success() {
            return serde_json::from_slice(&bytes)
                .map_err(|_| PaymentError::Unavailable(format!("Stripe's answer to {method} {path} is not JSON")));
        }
        Err(self.scrub(error_of(status, &bytes)))
    }

    /// Stripe masks keys in its own messages; this makes sure of it.
    fn scrub(&self, err: PaymentError) -> PaymentError {
        let clean = |s: String| if self.secret_key.is_empty() { s } else { s.replace(&self.secret_key, "sk_…") };
        match err {
            PaymentError::Declined { code, message } => PaymentError::Declined { code, message: clean(message) },
            PaymentError::Invalid(message) => PaymentError::Invalid(clean(message)),
            PaymentError::Unavailable(reason) => PaymentError::Unavailable(clean(reason)),
        }
    }
}

/// Stripe's error object (`{"error": {"type", "code", "decline_code", "message"}}`) as a [`PaymentError`].
pub(super) fn error_of(status: StatusCode, body: &[u8]) -> PaymentError {
    let parsed: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let error = &parsed["error"];
    let message = error["message"].as_str().filter(|m| !m.is_empty());
    let kind = error["type"].as_str().unwrap_or("");
    if kind == "card_error" {
        let code = error["decline_code"].as_str().or(error["code"].as_str()).unwrap_or("card_declined");
        let message = message.unwrap_or("Your card was declined.");
        return PaymentError::Declined { code: code.to_string(), message: message.to_string() };
    }
    match status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
            PaymentError::Unavailable(format!("Stripe refused the API key (HTTP {})", status.as_u16()))
        }
        s if s == StatusCode::TOO_MANY_REQUESTS || s.is_server_error() => PaymentError::Unavailable(format!(
            "Stripe answered HTTP {}: {}",
            s.as_u16(),
            message.unwrap_or("no message")
        )),
        s => PaymentError::Invalid(
            message.map(str::to_string).unwrap_or_else(|| format!("Stripe refused the request (HTTP {})", s.as_u16())),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(json: &str) -> Vec<u8> {
        json.as_bytes().to_vec()
    }

    #[test]
    fn card_errors_are_declines_with_stripes_message_and_decline_code() {
        let err = error_of(
            StatusCode::PAYMENT_REQUIRED,
            &body(
                r#"{"error":{"type":"card_error","code":"card_declined","decline_code":"insufficient_funds","message":"Your card has insufficient funds."}}"#,
            ),
        );
        assert_eq!(
            err,
            PaymentError::Declined {
                code: "insufficient_funds".into(),
                message: "Your card has insufficient funds.".into()
            }
        );
    }

    #[test]
    fn server_errors_rate_limits_and_refused_keys_are_unavailable_other_4xx_invalid() {
        assert!(matches!(error_of(StatusCode::BAD_GATEWAY, b"<html>"), PaymentError::Unavailable(_)));
        assert!(matches!(error_of(StatusCode::TOO_MANY_REQUESTS, b"{}"), PaymentError::Unavailable(_)));
        let key = error_of(
            StatusCode::UNAUTHORIZED,
            &body(r#"{"error":{"type":"invalid_request_error","message":"Invalid API Key provided: sk_test_abc"}}"#),
        );
        assert_eq!(key, PaymentError::Unavailable("Stripe refused the API key (HTTP 401)".into()));
        let invalid = error_of(
            StatusCode::BAD_REQUEST,
            &body(r#"{"error":{"type":"invalid_request_error","message":"No such customer: 'cus_x'"}}"#),
        );
        assert_eq!(invalid, PaymentError::Invalid("No such customer: 'cus_x'".into()));
    }

    #[test]
    fn forms_encode_brackets_and_reserved_characters() {
        let form = vec![("metadata[workspace_id]", "ws_1".to_string()), ("success_url", "https://x/y?a=b&c".into())];
        assert_eq!(encode(&form), "metadata%5Bworkspace_id%5D=ws_1&success_url=https%3A%2F%2Fx%2Fy%3Fa%3Db%26c");
        assert_eq!(segment("sub_1/../x"), "sub_1%2F%2E%2E%2Fx");
    }
}
