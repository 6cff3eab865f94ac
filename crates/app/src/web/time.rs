//! Timestamps as the UI shows them: in the workspace's timezone, relative
//! when recent, with the exact time on hover.
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct TimeView {
    /// RFC 3339 in UTC, for `<time datetime>`.
    pub iso: String,
    /// Exact local time with the zone's abbreviation, e.g. `28 Nov 2026, 13:10 CET`.
    pub exact: String,
    /// `3 min ago`, or the exact local time when older than a week.
    pub relative: String,
}

pub fn view(at: DateTime<Utc>, tz: Tz, now: DateTime<Utc>) -> TimeView {
    let local = at.with_timezone(&tz);
    let exact = local.format("%-d %b %Y, %H:%M %Z").to_string();
    let secs = (now - at).num_seconds();
    let relative = match secs {
        s if s < 45 => "just now".to_string(),
        s if s < 3600 => format!("{} min ago", (s + 30) / 60),
        s if s < 86_400 => format!("{} h ago", s / 3600),
        s if s < 7 * 86_400 => format!("{} d ago", s / 86_400),
        _ => exact.clone(),
    };
    TimeView { iso: at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true), exact, relative }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn exact_time_uses_the_workspace_timezone() {
        let at = Utc.with_ymd_and_hms(2026, 11, 28, 12, 10, 0).single().expect("valid");
        let paris = view(at, chrono_tz::Europe::Paris, at);
        assert_eq!(paris.exact, "28 Nov 2026, 13:10 CET");
        let tokyo = view(at, chrono_tz::Asia::Tokyo, at);
        assert_eq!(tokyo.exact, "28 Nov 2026, 21:10 JST");
        assert_eq!(paris.iso, "2026-11-28T12:10:00Z");
    }

    #[test]
    fn recent_times_are_relative() {
        let at = Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 0).single().expect("valid");
        let tz = chrono_tz::UTC;
        assert_eq!(view(at, tz, at + chrono::Duration::seconds(10)).relative, "just now");
        assert_eq!(view(at, tz, at + chrono::Duration::minutes(3)).relative, "3 min ago");
        assert_eq!(view(at, tz, at + chrono::Duration::hours(5)).relative, "5 h ago");
        assert_eq!(view(at, tz, at + chrono::Duration::days(30)).relative, "28 Nov 2026, 12:00 UTC");
    }
}
