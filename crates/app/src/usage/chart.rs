//! The usage chart: credits per day stacked by type, drawn as SVG on the
//! server (readable without JavaScript). A bar per day that has usage, the
//! stack in `UsageType::ALL` order with its colour, a legend in the same
//! order, y in whole credits on "nice" ticks, x in dates, a `<title>` on
//! each segment for hover, `role="img"` labelled by the chart's title. The
//! `viewBox` and `width="100%"` let it scale from a 360 px phone to a wide
//! screen. Pages put the same numbers in a table under it.
use std::fmt::Write;

use chrono::NaiveDate;
use switchboard_core::Credits;

use super::UsageType;
use super::summary::Day;
use crate::web::format;

/// Full size (Settings → Usage) or compact (the home page: shorter, fewer
/// date labels).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    Full,
    Compact,
}

struct Frame {
    width: f64,
    height: f64,
    left: f64,
    right: f64,
    top: f64,
    bottom: f64,
    max_x_labels: usize,
}

impl Size {
    fn frame(self) -> Frame {
        match self {
            Size::Full => {
                Frame { width: 720.0, height: 300.0, left: 64.0, right: 12.0, top: 12.0, bottom: 72.0, max_x_labels: 8 }
            }
            Size::Compact => {
                Frame { width: 480.0, height: 160.0, left: 56.0, right: 8.0, top: 8.0, bottom: 56.0, max_x_labels: 4 }
            }
        }
    }
}

/// Axis ticks in milli-credits: 0, step, 2·step, … up to the first tick at
/// or above `max`, with step 1, 2 or 5 × 10ⁿ whole credits, about four steps.
pub fn nice_ticks(max_millis: i64) -> Vec<i64> {
    let max = max_millis.max(0);
    let target = (max + 3) / 4;
    let mut step: i64 = 1_000;
    'search: for magnitude in 0..15 {
        let base = 10_i64.saturating_pow(magnitude).saturating_mul(1_000);
        for m in [1, 2, 5] {
            step = base.saturating_mul(m);
            if step >= target {
                break 'search;
            }
        }
    }
    let mut ticks = vec![0];
    while ticks.last().is_some_and(|&t| t < max) {
        let next = ticks.last().copied().unwrap_or(0).saturating_add(step);
        ticks.push(next);
    }
    if ticks.len() == 1 {
        ticks.push(step);
    }
    ticks
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// The SVG of `days` (those with usage, in date order) over the local
/// dates `first..=last`. `id` makes element ids unique on the page;
/// `title` is the chart's accessible name.
pub fn render(days: &[Day], first: NaiveDate, last: NaiveDate, title: &str, id: &str, size: Size) -> String {
    let f = size.frame();
    let span = usize::try_from((last - first).num_days().max(0) + 1).unwrap_or(1);
    let plot_w = f.width - f.left - f.right;
    let plot_h = f.height - f.top - f.bottom;
    let slot = plot_w / span as f64;
    let bar_w = (slot * 0.7).max(1.0);
    let max = days.iter().map(|d| d.total.credits.millis()).max().unwrap_or(0);
    let ticks = nice_ticks(max);
    let top_tick = ticks.last().copied().unwrap_or(1_000).max(1) as f64;
    let y = |millis: i64| f.top + plot_h - plot_h * (millis as f64 / top_tick);
    let (id, title_text) = (escape(id), escape(title));

    let mut svg = String::with_capacity(4096 + days.len() * 600);
    let _ = write!(
        svg,
        r#"<svg class="usage-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="100%" role="img" aria-labelledby="{id}-title" preserveAspectRatio="xMidYMid meet"><title id="{id}-title">{title_text}</title>"#,
        w = f.width,
        h = VIEW_HEIGHT,
    );
    // Y axis: gridlines and labels in whole credits.
    svg.push_str(r#"<g class="axis y-axis" font-size="11" fill="currentColor">"#);
    for t in &ticks {
        let ty = y(*t);
        let _ = write!(
            svg,
            r#"<line x1="{x1}" x2="{x2}" y1="{ty:.1}" y2="{ty:.1}" stroke="currentColor" stroke-opacity="0.15"/><text x="{tx}" y="{ly:.1}" text-anchor="end">{label}</text>"#,
            x1 = f.left,
            x2 = f.width - f.right,
            tx = f.left - 6.0,
            ly = ty + 4.0,
            label = format::credits(Credits::from_millis(*t)),
        );
    }
    let _ = write!(
        svg,
        r#"<text x="12" y="{my:.1}" transform="rotate(-90 12 {my:.1})" text-anchor="middle">Credits</text></g>"#,
        my = f.top + plot_h / 2.0,
    );
    // X axis: about `max_x_labels` dates, evenly spaced.
    let every = span.div_ceil(f.max_x_labels).max(1);
    svg.push_str(r#"<g class="axis x-axis" font-size="11" fill="currentColor">"#);
    let base_y = f.top + plot_h;
    let _ = write!(
        svg,
        r#"<line x1="{x1}" x2="{x2}" y1="{base_y:.1}" y2="{base_y:.1}" stroke="currentColor" stroke-opacity="0.5"/>"#,
        x1 = f.left,
        x2 = f.width - f.right,
    );
    for i in (0..span).step_by(every) {
        let Some(date) = first.checked_add_days(chrono::Days::new(i as u64)) else { break };
        let cx = f.left + slot * (i as f64 + 0.5);
        let _ = write!(
            svg,
            r#"<text x="{cx:.1}" y="{ly:.1}" text-anchor="middle">{label}</text>"#,
            ly = base_y + 16.0,
            label = date.format("%b %-d"),
        );
    }
    let _ = write!(
        svg,
        r#"<text x="{mx:.1}" y="{ly:.1}" text-anchor="middle">Date</text></g>"#,
        mx = f.left + plot_w / 2.0,
        ly = base_y + 34.0,
    );
    // Bars: one per day with usage, segments stacked bottom-up in ALL order.
    svg.push_str(r#"<g class="bars">"#);
    for day in days {
        let index = (day.date - first).num_days();
        if index < 0 || index as usize >= span {
            continue;
        }
        let x = f.left + slot * index as f64 + (slot - bar_w) / 2.0;
        let _ = write!(svg, r#"<g class="bar" data-date="{}">"#, day.date);
        let mut below = 0_i64;
        for (kind, totals) in &day.by_type {
            let c = totals.credits.millis();
            if c <= 0 {
                continue;
            }
            let (y_top, y_bottom) = (y(below + c), y(below));
            below += c;
            let _ = write!(
                svg,
                r#"<rect class="segment" data-type="{t}" x="{x:.2}" y="{y_top:.2}" width="{bar_w:.2}" height="{h:.2}" fill="{fill}"><title>{date}: {label} {credits} credits ({events} events)</title></rect>"#,
                t = kind.as_str(),
                h = (y_bottom - y_top).max(0.0),
                fill = kind.colour(),
                date = day.date.format("%b %-d, %Y"),
                label = escape(kind.label()),
                credits = format::credits(totals.credits),
                events = totals.events,
            );
        }
        svg.push_str("</g>");
    }
    svg.push_str("</g>");
    // Legend, in the stack's order (bottom of the stack first), wrapping
    // onto another row where the chart is narrow.
    let _ = write!(
        svg,
        r#"<g class="legend" font-size="11" fill="currentColor" transform="translate({} {})">"#,
        f.left,
        f.height + 8.0
    );
    let (mut lx, mut ly) = (0.0, 0.0);
    for kind in UsageType::ALL {
        let item = 14.0 + 6.5 * kind.label().len() as f64 + 14.0;
        if lx > 0.0 && lx + item > plot_w {
            (lx, ly) = (0.0, ly + LEGEND_ROW);
        }
        let _ = write!(
            svg,
            r#"<rect x="{lx:.1}" y="{ly:.1}" width="10" height="10" fill="{fill}"/><text x="{tx:.1}" y="{ty:.1}">{label}</text>"#,
            fill = kind.colour(),
            tx = lx + 14.0,
            ty = ly + 9.0,
            label = escape(kind.label()),
        );
        lx += item;
    }
    svg.push_str("</g></svg>");
    let view_height = f.height + 8.0 + ly + LEGEND_ROW;
    svg.replacen(VIEW_HEIGHT, &format!("{view_height}"), 1)
}

/// A row of the legend, in SVG units.
const LEGEND_ROW: f64 = 18.0;
/// Stands for the viewBox height until the legend's rows are known.
const VIEW_HEIGHT: &str = "{view-height}";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usage::summary::Totals;

    fn totals(credits: i64) -> Totals {
        Totals { events: 1, quantity: 1, credits: Credits::from_millis(credits) }
    }

    fn day(date: &str, parts: &[(UsageType, i64)]) -> Day {
        let by_type: Vec<_> = parts.iter().map(|(k, c)| (*k, totals(*c))).collect();
        let sum = parts.iter().map(|(_, c)| c).sum();
        Day { date: date.parse().expect("date"), total: totals(sum), by_type }
    }

    fn attr(tag: &str, name: &str) -> f64 {
        let key = format!(" {name}=\"");
        let start = tag.find(&key).expect("attribute") + key.len();
        tag[start..].split('"').next().expect("value").parse().expect("number")
    }

    fn segments(svg: &str) -> Vec<&str> {
        svg.split("<rect class=\"segment\"").skip(1).collect()
    }

    #[test]
    fn ticks_are_nice_and_cover_the_maximum() {
        assert_eq!(nice_ticks(0), vec![0, 1_000]);
        assert_eq!(nice_ticks(500), vec![0, 1_000]);
        assert_eq!(nice_ticks(7_000), vec![0, 2_000, 4_000, 6_000, 8_000]);
        assert_eq!(nice_ticks(12_400_000), vec![0, 5_000_000, 10_000_000, 15_000_000]);
        assert_eq!(nice_ticks(100_000), vec![0, 50_000, 100_000]);
    }

    #[test]
    fn segment_heights_are_proportional_and_bars_only_on_days_with_usage() {
        let first = "2026-12-01".parse().expect("date");
        let last = "2026-12-10".parse().expect("date");
        let days = vec![
            day("2026-12-02", &[(UsageType::CallMinutes, 3_000), (UsageType::Sms, 1_000)]),
            day("2026-12-09", &[(UsageType::CallMinutes, 2_000)]),
        ];
        let svg = render(&days, first, last, "Credits per day", "c", Size::Full);
        assert_eq!(svg.matches("<g class=\"bar\"").count(), 2);
        let segs = segments(&svg);
        assert_eq!(segs.len(), 3);
        let (call, sms, call2) = (attr(segs[0], "height"), attr(segs[1], "height"), attr(segs[2], "height"));
        assert!((call / sms - 3.0).abs() < 0.01, "{call} {sms}");
        assert!((call / call2 - 1.5).abs() < 0.01);
        // SMS sits on top of the calls: its bottom is the calls' top.
        assert!((attr(segs[1], "y") + sms - attr(segs[0], "y")).abs() < 0.01);
        assert!(svg.contains("Dec 2, 2026: Calls 3 credits (1 events)"));
        assert!(svg.contains("role=\"img\"") && svg.contains("aria-labelledby=\"c-title\""));
        assert!(svg.contains("viewBox=") && svg.contains("width=\"100%\""));
        // The legend follows the stack's order.
        let legend = &svg[svg.find("class=\"legend\"").expect("legend")..];
        let positions: Vec<usize> =
            UsageType::ALL.iter().map(|k| legend.find(k.label()).expect("label in legend")).collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn no_usage_draws_axes_without_bars_and_titles_are_escaped() {
        let d = "2026-12-01".parse().expect("date");
        let svg = render(&[], d, d, "<script>alert(1)</script> & co", "x\"y", Size::Compact);
        assert_eq!(svg.matches("<g class=\"bar\"").count(), 0);
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; co"));
        assert!(svg.contains("id=\"x&quot;y-title\""));
        // The compact legend wraps, and the viewBox grows to hold it.
        assert!(svg.contains("viewBox=\"0 0 480 "));
        assert!(!svg.contains(VIEW_HEIGHT));
        let last_row = svg.split("<rect x=\"0.0\" y=\"").nth(2).expect("a second legend row");
        assert!(last_row.starts_with("18.0"), "{last_row}");
    }
}
