//! Usage totals for a period, read from the hourly roll-ups only
//! (`usage_hourly`; never a scan of `usage_events`): by day in the
//! workspace's timezone, by type, by agent and by agent × type.
//!
//! Hours are stored in UTC and turned into local days here, when read, so a
//! timezone change moves usage between days without rebuilding anything.
//! A day that daylight saving makes 23 or 25 hours long is simply the hours
//! whose start falls on that local date. In a zone offset by a fraction of
//! an hour (Asia/Kolkata, +05:30) an hour straddles local midnight; it
//! counts on the local day on which it *starts* (roll-ups cannot split an
//! hour), so such a day's boundary is up to 30 minutes off.
//!
//! The home page shows [`this_cycle`] with [`super::chart`].
use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Months, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use switchboard_core::{Credits, WorkspaceId};
use switchboard_db::{Db, fetch_all};

use super::UsageType;
use crate::error::{AppError, AppResult, FieldError};
use crate::subscription::store::SubscriptionRow;

/// A custom range may span at most this many days.
pub const MAX_RANGE_DAYS: i64 = 366;

/// A half-open span of time `[from, to)` in UTC, and the local dates it covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// The first and last local dates of the span (inclusive).
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
}

impl Range {
    /// The span between two instants, with the local dates it touches.
    pub fn between(from: DateTime<Utc>, to: DateTime<Utc>, tz: Tz) -> Range {
        let first_day = from.with_timezone(&tz).date_naive();
        let last = if to > from { to - Duration::seconds(1) } else { from };
        Range { from, to, first_day, last_day: last.with_timezone(&tz).date_naive() }
    }

    /// Whole local days `first..=last`: from local midnight of `first` to
    /// local midnight after `last`.
    pub fn days(first: NaiveDate, last: NaiveDate, tz: Tz) -> Range {
        let from = local_midnight(first, tz);
        let to = last.succ_opt().map(|d| local_midnight(d, tz)).unwrap_or(from);
        Range { from, to, first_day: first, last_day: last }
    }
}

/// The instant a local date starts. Where midnight does not exist (a
/// zone that springs forward at 00:00), the day starts at the first local
/// time that does.
pub fn local_midnight(date: NaiveDate, tz: Tz) -> DateTime<Utc> {
    let midnight = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    for minutes in (0..=180).step_by(15) {
        let local = midnight + Duration::minutes(minutes);
        if let Some(t) = tz.from_local_datetime(&local).earliest() {
            return t.with_timezone(&Utc);
        }
    }
    Utc.from_utc_datetime(&midnight)
}

/// Which stretch of time a report covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    ThisCycle,
    LastCycle,
    /// Local dates, inclusive.
    Custom {
        from: NaiveDate,
        to: NaiveDate,
    },
}

impl Period {
    pub fn key(self) -> &'static str {
        match self {
            Period::ThisCycle => "this_cycle",
            Period::LastCycle => "last_cycle",
            Period::Custom { .. } => "custom",
        }
    }

    /// The period's span for the subscription `sub` in `tz`.
    pub fn range(self, sub: &SubscriptionRow, tz: Tz) -> Range {
        match self {
            Period::ThisCycle => Range::between(sub.period_start, sub.period_end, tz),
            Period::LastCycle => {
                let months = Months::new(sub.cycle.months());
                let start = sub.period_start.checked_sub_months(months).unwrap_or(sub.period_start);
                Range::between(start, sub.period_start, tz)
            }
            Period::Custom { from, to } => Range::days(from, to, tz),
        }
    }
}

/// Parses a local date (`2026-12-07`) from the field `field`.
pub fn parse_date(field: &str, raw: &str) -> Result<NaiveDate, FieldError> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .map_err(|_| FieldError::new(field, "Enter a date as YYYY-MM-DD, such as 2026-12-07."))
}

/// A custom period from two typed dates: both must parse, `to` may not be
/// before `from`, and the range may not pass [`MAX_RANGE_DAYS`].
pub fn custom_period(from: &str, to: &str) -> AppResult<Period> {
    let (from, to) = match (parse_date("from", from), parse_date("to", to)) {
        (Ok(from), Ok(to)) => (from, to),
        (a, b) => return Err(AppError::validation([a.err(), b.err()].into_iter().flatten().collect())),
    };
    check_days(from, to)?;
    Ok(Period::Custom { from, to })
}

/// Refuses `to` before `from` and spans over [`MAX_RANGE_DAYS`] (on `to`).
pub fn check_days(from: NaiveDate, to: NaiveDate) -> AppResult<()> {
    if to < from {
        return Err(AppError::field("to", "The end date must be on or after the start date."));
    }
    if (to - from).num_days() + 1 > MAX_RANGE_DAYS {
        return Err(AppError::field("to", format!("Choose a range of at most {MAX_RANGE_DAYS} days.")));
    }
    Ok(())
}

/// Events, quantity and credits summed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub events: i64,
    /// In the type's unit; only meaningful for one type.
    pub quantity: i64,
    pub credits: Credits,
}

impl Totals {
    fn add(&mut self, events: i64, quantity: i64, credits: i64) {
        self.events = self.events.saturating_add(events);
        self.quantity = self.quantity.saturating_add(quantity);
        self.credits = Credits::from_millis(self.credits.millis().saturating_add(credits));
    }
}

/// One local day: its total and its credits by type (in `UsageType::ALL` order).
/// Its quantities are left at 0: a day is read as events and credits only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Day {
    pub date: NaiveDate,
    pub total: Totals,
    pub by_type: Vec<(UsageType, Totals)>,
}

/// The report of one period. Days without usage are left out; types and
/// agents without usage too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub range: Range,
    pub total: Totals,
    /// Days with usage, in date order.
    pub days: Vec<Day>,
    /// In `UsageType::ALL` order.
    pub by_type: Vec<(UsageType, Totals)>,
    /// By agent (`None`: usage without an agent), most credits first.
    pub by_agent: Vec<(Option<String>, Totals)>,
    /// By agent and type: agents as in `by_agent`, types in `ALL` order.
    pub by_agent_type: Vec<(Option<String>, UsageType, Totals)>,
}

/// One UTC hour: events and credits per type, in `UsageType::ALL` order
/// (one row an hour rather than one per hour and type: reading rows is
/// most of a summary's cost).
#[derive(sqlx::FromRow)]
struct HourRow {
    hour: DateTime<Utc>,
    e0: i64,
    e1: i64,
    e2: i64,
    e3: i64,
    e4: i64,
    e5: i64,
    c0: i64,
    c1: i64,
    c2: i64,
    c3: i64,
    c4: i64,
    c5: i64,
}

impl HourRow {
    fn types(&self) -> [(i64, i64); 6] {
        [
            (self.e0, self.c0),
            (self.e1, self.c1),
            (self.e2, self.c2),
            (self.e3, self.c3),
            (self.e4, self.c4),
            (self.e5, self.c5),
        ]
    }
}

#[derive(sqlx::FromRow)]
struct AgentRow {
    agent_id: String,
    #[sqlx(rename = "type")]
    kind: String,
    events: i64,
    quantity: i64,
    credits: i64,
}

/// Sums the roll-ups of `range` for `ws`, days in `tz`. Two indexed range
/// reads of `usage_hourly` (its key starts with workspace and hour): one
/// grouped by hour and type for the days, one by agent and type.
///
/// A range that starts or ends inside an hour (a billing cycle begins when
/// its workspace was created) takes the hour its start falls in and leaves
/// the hour its end falls in to the next range: every hour belongs to
/// exactly one of two adjacent periods, and usage early in a cycle's first
/// hour is not lost.
pub async fn summarise(db: &Db, ws: &WorkspaceId, tz: Tz, range: Range) -> AppResult<Summary> {
    let (first_hour, end_hour) = (super::ingest::hour_of(range.from), super::ingest::hour_of(range.to));
    let hours = fetch_all!(
        db,
        HourRow,
        "SELECT hour, \
         CAST(SUM(CASE WHEN type = 'call_minutes' THEN events ELSE 0 END) AS BIGINT) AS e0, \
         CAST(SUM(CASE WHEN type = 'sms' THEN events ELSE 0 END) AS BIGINT) AS e1, \
         CAST(SUM(CASE WHEN type = 'tts_characters' THEN events ELSE 0 END) AS BIGINT) AS e2, \
         CAST(SUM(CASE WHEN type = 'phone_number_rental' THEN events ELSE 0 END) AS BIGINT) AS e3, \
         CAST(SUM(CASE WHEN type = 'voice_clone' THEN events ELSE 0 END) AS BIGINT) AS e4, \
         CAST(SUM(CASE WHEN type = 'training' THEN events ELSE 0 END) AS BIGINT) AS e5, \
         CAST(SUM(CASE WHEN type = 'call_minutes' THEN credits ELSE 0 END) AS BIGINT) AS c0, \
         CAST(SUM(CASE WHEN type = 'sms' THEN credits ELSE 0 END) AS BIGINT) AS c1, \
         CAST(SUM(CASE WHEN type = 'tts_characters' THEN credits ELSE 0 END) AS BIGINT) AS c2, \
         CAST(SUM(CASE WHEN type = 'phone_number_rental' THEN credits ELSE 0 END) AS BIGINT) AS c3, \
         CAST(SUM(CASE WHEN type = 'voice_clone' THEN credits ELSE 0 END) AS BIGINT) AS c4, \
         CAST(SUM(CASE WHEN type = 'training' THEN credits ELSE 0 END) AS BIGINT) AS c5 \
         FROM usage_hourly WHERE workspace_id = $1 AND hour >= $2 AND hour < $3 GROUP BY hour",
        ws.as_str(),
        first_hour,
        end_hour
    )?;
    let agents = fetch_all!(
        db,
        AgentRow,
        "SELECT agent_id, type, CAST(SUM(events) AS BIGINT) AS events, CAST(SUM(quantity) AS BIGINT) AS quantity, \
         CAST(SUM(credits) AS BIGINT) AS credits FROM usage_hourly \
         WHERE workspace_id = $1 AND hour >= $2 AND hour < $3 GROUP BY agent_id, type",
        ws.as_str(),
        first_hour,
        end_hour
    )?;
    Ok(assemble(range, tz, hours, agents))
}

fn type_index(kind: &str) -> Option<usize> {
    UsageType::ALL.iter().position(|t| t.as_str() == kind)
}

fn assemble(range: Range, tz: Tz, hours: Vec<HourRow>, agents: Vec<AgentRow>) -> Summary {
    let mut days: BTreeMap<NaiveDate, [Totals; 6]> = BTreeMap::new();
    for row in hours {
        // The local date on which the UTC hour starts (see the module header),
        // within the range's days (a range starting inside an hour).
        let date = row.hour.with_timezone(&tz).date_naive().max(range.first_day).min(range.last_day);
        let day = days.entry(date).or_default();
        for (i, (events, credits)) in row.types().into_iter().enumerate() {
            day[i].add(events, 0, credits);
        }
    }
    let with_usage = |t: &Totals| t.events > 0 || t.credits.millis() > 0;
    let days = days
        .into_iter()
        .map(|(date, types)| {
            let mut day_total = Totals::default();
            let by_type: Vec<(UsageType, Totals)> = UsageType::ALL
                .into_iter()
                .zip(types)
                .filter(|(_, t)| with_usage(t))
                .inspect(|(_, t)| day_total.add(t.events, t.quantity, t.credits.millis()))
                .collect();
            Day { date, total: day_total, by_type }
        })
        .collect();

    // Totals by type (with quantities) come from the agent × type rows.
    let mut total = Totals::default();
    let mut by_type = [Totals::default(); 6];
    let mut per_agent: BTreeMap<String, (Totals, [Totals; 6])> = BTreeMap::new();
    for row in agents {
        let Some(i) = type_index(&row.kind) else { continue };
        let entry = per_agent.entry(row.agent_id).or_default();
        entry.0.add(row.events, row.quantity, row.credits);
        entry.1[i].add(row.events, row.quantity, row.credits);
        by_type[i].add(row.events, row.quantity, row.credits);
        total.add(row.events, row.quantity, row.credits);
    }
    let mut agents: Vec<(String, Totals, [Totals; 6])> =
        per_agent.into_iter().map(|(id, (total, types))| (id, total, types)).collect();
    agents.sort_by(|a, b| b.1.credits.cmp(&a.1.credits).then_with(|| a.0.cmp(&b.0)));
    let agent_of = |id: &str| (!id.is_empty()).then(|| id.to_string());
    let by_agent = agents.iter().map(|(id, t, _)| (agent_of(id), *t)).collect();
    let by_agent_type = agents
        .iter()
        .flat_map(|(id, _, types)| {
            UsageType::ALL
                .into_iter()
                .zip(*types)
                .filter(|(_, t)| with_usage(t))
                .map(move |(k, t)| (agent_of(id), k, t))
        })
        .collect();
    Summary {
        range,
        total,
        days,
        by_type: UsageType::ALL.into_iter().zip(by_type).filter(|(_, t)| with_usage(t)).collect(),
        by_agent,
        by_agent_type,
    }
}

/// The names of the agents of `summary` by ID, to label its totals (an ID
/// missing here is a deleted agent), from the agents feature.
pub async fn agent_names(
    db: &Db,
    ws: &WorkspaceId,
    summary: &Summary,
) -> AppResult<std::collections::HashMap<String, String>> {
    let ids: Vec<&str> = summary.by_agent.iter().filter_map(|(id, _)| id.as_deref()).collect();
    Ok(crate::agents::store::names(db, ws, &ids).await?)
}

/// The current billing cycle's summary, for the home page.
pub async fn this_cycle(db: &Db, ws: &WorkspaceId, tz: Tz, sub: &SubscriptionRow) -> AppResult<Summary> {
    summarise(db, ws, tz, Period::ThisCycle.range(sub, tz)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().expect("time")
    }

    fn hour(s: &str, kind: &str, credits: i64) -> HourRow {
        let mut row =
            HourRow { hour: at(s), e0: 0, e1: 0, e2: 0, e3: 0, e4: 0, e5: 0, c0: 0, c1: 0, c2: 0, c3: 0, c4: 0, c5: 0 };
        match type_index(kind) {
            Some(1) => (row.e1, row.c1) = (1, credits),
            _ => (row.e0, row.c0) = (1, credits),
        }
        row
    }

    fn date(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    #[test]
    fn local_days_follow_the_timezone_and_daylight_saving() {
        let paris: Tz = "Europe/Paris".parse().expect("tz");
        // Summer time ends on 2026-10-25: that day is 25 hours long.
        let range = Range::days(date("2026-10-25"), date("2026-10-25"), paris);
        assert_eq!(range.from, at("2026-10-24T22:00:00Z"));
        assert_eq!(range.to - range.from, Duration::hours(25));
        // It starts on 2026-03-29: 23 hours.
        let spring = Range::days(date("2026-03-29"), date("2026-03-29"), paris);
        assert_eq!(spring.to - spring.from, Duration::hours(23));
        let hours = vec![hour("2026-12-07T23:00:00Z", "sms", 1000), hour("2026-12-07T22:00:00Z", "sms", 500)];
        let december = Range::days(date("2026-12-07"), date("2026-12-08"), paris);
        let s = assemble(december, paris, hours, vec![]);
        let dates: Vec<_> = s.days.iter().map(|d| d.date).collect();
        assert_eq!(dates, vec![date("2026-12-07"), date("2026-12-08")]);
    }

    #[test]
    fn a_fractional_offset_puts_an_hour_on_the_day_it_starts() {
        let kolkata: Tz = "Asia/Kolkata".parse().expect("tz");
        // 18:00 UTC is 23:30 local: the hour counts on that (first) day.
        let s = assemble(
            Range::days(date("2026-12-07"), date("2026-12-08"), kolkata),
            kolkata,
            vec![hour("2026-12-07T18:00:00Z", "sms", 1)],
            vec![],
        );
        assert_eq!(s.days[0].date, date("2026-12-07"));
    }

    #[test]
    fn custom_ranges_refuse_reversed_and_overlong_spans() {
        assert!(custom_period("2026-12-01", "2026-12-07").is_ok());
        let reversed = custom_period("2026-12-07", "2026-12-01").expect_err("reversed");
        assert!(reversed.field_message("to").is_some());
        let long = custom_period("2025-01-01", "2026-12-01").expect_err("long");
        assert!(long.field_message("to").is_some());
        let bad = custom_period("yesterday", "2026-13-01").expect_err("bad");
        assert!(bad.field_message("from").is_some() && bad.field_message("to").is_some());
    }
}
