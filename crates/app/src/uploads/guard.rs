//! The upload stack's middleware: the declared-length check, the counting
//! body, and CSRF from a header or the leading form fields (see the module
//! header of `uploads`).
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::Poll;

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::{Stream, StreamExt};

use super::{Limit, MAX_PEEK_BYTES, MIB};
use crate::auth::csrf::{self, CSRF_FIELD, CSRF_HEADER, WORKSPACE_FIELD};
use crate::auth::session::MaybeSession;
use crate::error::AppError;
use crate::secrets::constant_time_eq;

/// Set when the counting body cut a request off at its limit, so the
/// extractor answers 413 rather than "malformed upload".
#[derive(Clone, Default)]
pub(super) struct CutOff(pub(super) Arc<AtomicBool>);

impl CutOff {
    pub(super) fn happened(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

pub(super) fn too_large(limit: &Limit) -> AppError {
    AppError::payload_too_large(format!(
        "The upload is larger than {} allows.",
        describe_bytes(limit.max_body_bytes().saturating_sub(super::ENVELOPE_BYTES))
    ))
}

pub(super) fn describe_bytes(bytes: u64) -> String {
    if bytes >= MIB { format!("{} MiB", bytes.div_ceil(MIB)) } else { format!("{} KiB", bytes.div_ceil(1024)) }
}

pub(super) async fn guard(req: Request, next: Next) -> Response {
    let Some(limit) = req.extensions().get::<Limit>().copied() else {
        return AppError::Internal(anyhow::anyhow!("upload guard without its Limit")).into_response();
    };
    let max_body = limit.max_body_bytes();
    let declared = req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|length| length > max_body) {
        return too_large(&limit).into_response();
    }

    let (mut parts, body) = req.into_parts();
    let cut_off = CutOff::default();
    parts.extensions.insert(cut_off.clone());
    let body = Body::from_stream(counted(body, max_body, cut_off));

    let skip_csrf = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS)
        || crate::auth::api_token::caller(&parts.extensions).is_some();
    if skip_csrf {
        return next.run(Request::from_parts(parts, body)).await;
    }
    let probe = Request::from_parts(parts, Body::empty());
    let expected = match csrf::expected_token(&probe) {
        Ok(expected) => expected,
        Err(refused) => return refused.into_response(),
    };
    let (parts, _) = probe.into_parts();
    let session = parts.extensions.get::<MaybeSession>().and_then(|s| s.0.clone());

    let header_token_absent = csrf::header_str(&parts.headers, CSRF_HEADER).is_none();
    let (provided, workspace, body) = match csrf::header_str(&parts.headers, CSRF_HEADER) {
        Some(token) => (Some(token.to_owned()), None, body),
        None => {
            let content_type = csrf::header_str(&parts.headers, header::CONTENT_TYPE.as_str()).unwrap_or("");
            if !content_type.starts_with("multipart/form-data") {
                return csrf::csrf_failed().into_response();
            }
            let (leading, body) = peek_leading_fields(content_type, body).await;
            if cut_off_now(&parts) {
                return too_large(&limit).into_response();
            }
            (leading.csrf, leading.workspace, body)
        }
    };
    if !provided.is_some_and(|p| constant_time_eq(&p, &expected)) {
        return csrf::csrf_failed().into_response();
    }
    // A form post (no token header) to a settings page must name its workspace.
    let required = header_token_absent && csrf::is_settings_form(parts.uri.path());
    if let Err(refused) = csrf::check_form_workspace(session.as_deref(), workspace.as_deref(), required) {
        return refused.into_response();
    }
    next.run(Request::from_parts(parts, body)).await
}

fn cut_off_now(parts: &axum::http::request::Parts) -> bool {
    parts.extensions.get::<CutOff>().is_some_and(CutOff::happened)
}

/// The body's chunks, failing once more than `max` bytes went by.
fn counted(body: Body, max: u64, cut_off: CutOff) -> impl Stream<Item = Result<Bytes, axum::Error>> + Send + 'static {
    let mut seen = 0u64;
    body.into_data_stream().map(move |chunk| {
        let chunk = chunk?;
        seen += chunk.len() as u64;
        if seen > max {
            cut_off.0.store(true, Ordering::Relaxed);
            return Err(axum::Error::new(format!("request body over its limit of {max} bytes")));
        }
        Ok(chunk)
    })
}

#[derive(Default)]
struct Leading {
    csrf: Option<String>,
    workspace: Option<String>,
}

/// What the peek pulled from the body so far, and the rest of it.
struct Tee {
    rest: Option<axum::body::BodyDataStream>,
    seen: Vec<Bytes>,
    seen_bytes: usize,
}

/// Reads `_csrf` (and `_workspace` right after it) from the front of a
/// multipart body, and gives back a body that replays every byte read.
async fn peek_leading_fields(content_type: &str, body: Body) -> (Leading, Body) {
    let tee = Arc::new(Mutex::new(Tee { rest: Some(body.into_data_stream()), seen: Vec::new(), seen_bytes: 0 }));
    let leading = read_leading(content_type, tee.clone()).await;
    // The multipart parser holding the other handle is gone; take the parts back.
    let (seen, rest) = match tee.lock() {
        Ok(mut tee) => (std::mem::take(&mut tee.seen), tee.rest.take()),
        Err(_) => (Vec::new(), None),
    };
    let replay = futures_util::stream::iter(seen.into_iter().map(Ok::<Bytes, axum::Error>));
    let body = match rest {
        Some(rest) => Body::from_stream(replay.chain(rest)),
        None => Body::from_stream(replay),
    };
    (leading, body)
}

async fn read_leading(content_type: &str, tee: Arc<Mutex<Tee>>) -> Leading {
    let mut leading = Leading::default();
    let recording = futures_util::stream::poll_fn(move |cx| {
        let Ok(mut tee) = tee.lock() else { return Poll::Ready(None) };
        let Some(rest) = tee.rest.as_mut() else { return Poll::Ready(None) };
        match rest.poll_next_unpin(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                let spent = tee.seen_bytes >= MAX_PEEK_BYTES;
                // Kept for the replay either way; past the budget the parser
                // is fed an error instead, so it reads no further.
                tee.seen_bytes += chunk.len();
                tee.seen.push(chunk.clone());
                match spent {
                    true => Poll::Ready(Some(Err(axum::Error::new("upload CSRF peek budget spent")))),
                    false => Poll::Ready(Some(Ok(chunk))),
                }
            }
            other => other,
        }
    });
    let Ok(req) = Request::builder().header(header::CONTENT_TYPE, content_type).body(Body::from_stream(recording))
    else {
        return leading;
    };
    let Ok(mut multipart) = Multipart::from_request(req, &()).await else {
        return leading;
    };
    // Only the first field may carry the token, and `_workspace` only the
    // second: nothing after a file is read here.
    let Ok(Some(first)) = multipart.next_field().await else { return leading };
    if first.name() != Some(CSRF_FIELD) {
        return leading;
    }
    leading.csrf = first.text().await.ok();
    if let Ok(Some(second)) = multipart.next_field().await
        && second.name() == Some(WORKSPACE_FIELD)
    {
        leading.workspace = second.text().await.ok();
    }
    leading
}
