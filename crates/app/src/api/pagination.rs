//! Keyset pagination, one way for every list (API and pages): a page is
//! fetched with `limit + 1` rows after the previous page's last sort key,
//! and the key of its last row travels as one opaque cursor format —
//! base64url (no padding) of the key as JSON. A cursor that does not
//! decode is a 422 on `cursor`, never a 500 (NUL bytes and other garbage
//! included).
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::AppError;

/// The cursor that starts the page after a row whose sort key is `key`.
pub fn encode<K: Serialize>(key: &K) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(key).unwrap_or_default())
}

/// The sort key in `cursor`; `None` for no (or an empty) cursor.
pub fn decode<K: DeserializeOwned>(cursor: Option<&str>) -> Result<Option<K>, AppError> {
    let Some(raw) = cursor.map(str::trim).filter(|c| !c.is_empty()) else { return Ok(None) };
    let bad = || AppError::field("cursor", "The cursor is not one this API returned.");
    let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| bad())?;
    let key: serde_json::Value = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    // Well-formed, but text with a NUL never reaches a query.
    if crate::web::nul::nul_field(&key).is_some() {
        return Err(bad());
    }
    serde_json::from_value(key).map(Some).map_err(|_| bad())
}

/// `limit`, or `default` when absent; 422 on `limit` outside 1..=`max`.
pub fn limit(limit: Option<i64>, default: i64, max: i64) -> Result<i64, AppError> {
    let limit = limit.unwrap_or(default);
    if !(1..=max).contains(&limit) {
        return Err(AppError::field("limit", format!("limit must be between 1 and {max}.")));
    }
    Ok(limit)
}

/// Cuts `rows` (fetched with `limit + 1`) to one page; the cursor of the
/// next page when there is one.
pub fn page<T, K: Serialize>(mut rows: Vec<T>, limit: i64, key: impl Fn(&T) -> K) -> (Vec<T>, Option<String>) {
    let limit = usize::try_from(limit).unwrap_or(0);
    if rows.len() > limit {
        rows.truncate(limit);
        let next = rows.last().map(|last| encode(&key(last)));
        (rows, next)
    } else {
        (rows, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_round_trips_and_garbage_is_a_field_error() {
        let cursor = encode(&("2026-12-07T00:00:00Z", "aud_1"));
        let key: Option<(String, String)> = decode(Some(&cursor)).expect("decodes");
        assert_eq!(key, Some(("2026-12-07T00:00:00Z".into(), "aud_1".into())));
        assert_eq!(decode::<String>(Some("  ")).expect("empty"), None);
        let with_nul = encode(&("2026-12-07T00:00:00Z", "aud_\u{0}"));
        for bad in ["%%%", "bm90IGpzb24", "\u{0}", with_nul.as_str()] {
            let err = decode::<(String, String)>(Some(bad)).expect_err("refused");
            assert!(err.field_message("cursor").is_some(), "{bad:?}");
        }
        assert!(limit(Some(0), 50, 100).is_err());
        assert_eq!(limit(None, 50, 100).ok(), Some(50));
    }

    #[test]
    fn a_page_keeps_limit_rows_and_points_after_the_last() {
        let (rows, next) = page(vec![1, 2, 3], 2, |n| *n);
        assert_eq!(rows, vec![1, 2]);
        assert_eq!(decode::<i32>(next.as_deref()).expect("decodes"), Some(2));
        let (rows, next) = page(vec![1, 2], 2, |n| *n);
        assert_eq!((rows.len(), next), (2, None));
    }
}
