//! The coverage timeline as an inline SVG (no script, no external resource): one row per source, the
//! window drawn as covered (green) with its gaps (red, with a tooltip), a last row for "any source", and
//! a date axis.

use std::fmt::Write;

use chrono::{Duration, DurationRound};

use crate::coverage::gaps;

use crate::coverage::report::{percent, CoverageReport};
use crate::read::timefmt::{format_utc, Timestamp};

const WIDTH: f64 = 960.0;
const LABEL: f64 = 190.0;
const SHARE: f64 = 70.0;
const ROW: f64 = 24.0;
const BAR: f64 = 16.0;
const TOP: f64 = 8.0;
const AXIS: f64 = 34.0;
pub const COVERED: &str = "#3f8f58";
pub const MISSING: &str = "#c8423b";

/// Escapes text for XML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if (c as u32) < 0x20 && c != '\t' && c != '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The timeline of covered and missing periods per source, as an `<svg>` element.
pub fn timeline(report: &CoverageReport) -> String {
    let rows = report.sources.len() + 1;
    let height = TOP + rows as f64 * ROW + AXIS;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="coverage-timeline" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="Log coverage of the case window" font-family="sans-serif" font-size="12">"#
    );
    s.push_str("<title>Log coverage of the case window: green covered, red gaps</title>");
    let Some((start, end)) = report.window else {
        let _ = write!(s, r#"<text x="4" y="{}">No window and no events: coverage cannot be drawn.</text></svg>"#, TOP + 12.0);
        return s;
    };
    let plot = WIDTH - LABEL - SHARE;
    let span = (end - start).num_milliseconds().max(1) as f64;
    let x = |t: Timestamp| LABEL + ((t - start).num_milliseconds() as f64 / span).clamp(0.0, 1.0) * plot;

    let draw_row = |s: &mut String, i: usize, name: &str, share: f64, periods: &[(Timestamp, Timestamp, String)]| {
        let y = TOP + i as f64 * ROW;
        let _ = write!(s, r#"<g class="source"><text x="{}" y="{:.1}" text-anchor="end">{}</text>"#, LABEL - 6.0, y + BAR - 4.0, escape(name));
        let _ = write!(
            s,
            r#"<rect class="covered" x="{LABEL:.1}" y="{y:.1}" width="{plot:.1}" height="{BAR}" fill="{COVERED}"><title>{} covered {}</title></rect>"#,
            escape(name),
            percent(share)
        );
        for (a, b, tip) in periods {
            let (xa, xb) = (x(*a), x(*b));
            // At least one pixel, so a short gap in a long window stays visible.
            let w = (xb - xa).max(1.0);
            let _ = write!(s, r#"<rect class="gap" x="{xa:.1}" y="{y:.1}" width="{w:.1}" height="{BAR}" fill="{MISSING}"><title>{}</title></rect>"#, escape(tip));
        }
        let _ = write!(s, r#"<text x="{:.1}" y="{:.1}">{}</text></g>"#, WIDTH - SHARE + 6.0, y + BAR - 4.0, percent(share));
    };

    let mut all: Vec<Vec<(Timestamp, Timestamp)>> = Vec::new();
    for (i, src) in report.sources.iter().enumerate() {
        let periods: Vec<(Timestamp, Timestamp, String)> = src
            .gaps
            .iter()
            .map(|g| {
                let expected = g.expected_events.map(|e| format!(", {e:.1} events expected")).unwrap_or_else(|| ", no events at all".into());
                (g.period.0, g.period.1, format!("{}: no events {} .. {} ({}{expected})", src.source, g.start, g.end, g.duration))
            })
            .collect();
        all.push(src.gaps.iter().map(|g| g.period).collect());
        draw_row(&mut s, i, &src.source, src.covered_share, &periods);
    }
    let none = all.iter().skip(1).fold(all.first().cloned().unwrap_or_default(), |acc, g| gaps::intersect(&acc, g));
    let none: Vec<(Timestamp, Timestamp, String)> =
        none.iter().map(|(a, b)| (*a, *b, format!("no source has events {} .. {}", format_utc(a), format_utc(b)))).collect();
    draw_row(&mut s, report.sources.len(), "any source", report.covered_share_any, &none);

    // Axis: the window's ends and up to 8 day-aligned ticks between.
    let axis_y = TOP + rows as f64 * ROW + 4.0;
    let _ = write!(s, r##"<g class="axis" fill="#444"><line x1="{LABEL}" y1="{axis_y:.1}" x2="{:.1}" y2="{axis_y:.1}" stroke="#444"/>"##, LABEL + plot);
    let days = ((end - start).num_hours() as f64 / 24.0).ceil().max(1.0) as i64;
    let step = Duration::days(((days + 7) / 8).max(1));
    let mut tick = start.duration_trunc(Duration::days(1)).unwrap_or(start) + Duration::days(1);
    while tick < end && step > Duration::zero() {
        let tx = x(tick);
        if tx - LABEL > 60.0 && LABEL + plot - tx > 60.0 {
            let _ = write!(s, r##"<line x1="{tx:.1}" y1="{axis_y:.1}" x2="{tx:.1}" y2="{:.1}" stroke="#444"/>"##, axis_y + 4.0);
            let _ = write!(s, r#"<text x="{tx:.1}" y="{:.1}" text-anchor="middle">{}</text>"#, axis_y + 16.0, tick.format("%Y-%m-%d"));
        }
        tick += step;
    }
    let _ = write!(s, r#"<text x="{LABEL}" y="{:.1}" text-anchor="start">{}</text>"#, axis_y + 28.0, escape(&format_utc(&start)));
    let _ = write!(s, r#"<text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#, LABEL + plot, axis_y + 28.0, escape(&format_utc(&end)));
    s.push_str("</g></svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coverage::gaps::GapKind;
    use crate::coverage::report::{GapReport, SourceCoverage};

    fn t(s: &str) -> Timestamp {
        crate::read::timefmt::parse_zoned(s).unwrap()
    }

    fn report(sources: Vec<(&str, Vec<(&str, &str)>)>, window: Option<(&str, &str)>) -> CoverageReport {
        let sources = sources
            .into_iter()
            .map(|(name, gaps)| SourceCoverage {
                source: name.to_string(),
                first_event: None,
                last_event: None,
                events: 0,
                events_in_window: 0,
                gap_threshold_events: 5.0,
                rhythm: crate::coverage::histogram::RhythmSummary::of(None),
                covered_share: 0.5,
                covered_seconds: 0,
                missing_seconds: 0,
                gaps: gaps
                    .into_iter()
                    .map(|(a, b)| GapReport {
                        start: a.to_string(),
                        end: b.to_string(),
                        duration: "1day".into(),
                        duration_seconds: 86_400,
                        expected_events: Some(12.0),
                        kind: GapKind::Interior,
                        period: (t(a), t(b)),
                    })
                    .collect(),
                events_per_day: Default::default(),
                files: vec![],
                blind_spots: vec![],
            })
            .collect();
        CoverageReport {
            mode: "report",
            window_start: None,
            window_end: None,
            window_start_from: "case",
            window_end_from: "case",
            min_gap: "2h".into(),
            min_gap_seconds: 7200,
            covered_share_any: 0.75,
            covered_share_all: 0.5,
            gaps: 0,
            records_on_gapped_sources: 0,
            customers_on_gapped_sources: 0,
            legal_summary: String::new(),
            sources,
            findings: vec![],
            window: window.map(|(a, b)| (t(a), t(b))),
        }
    }

    #[test]
    fn names_are_escaped_and_the_any_row_shows_only_shared_gaps() {
        let r = report(
            vec![
                ("db <prod> & \"replica\"", vec![("2019-06-02T00:00:00Z", "2019-06-04T00:00:00Z")]),
                ("portal", vec![("2019-06-03T00:00:00Z", "2019-06-05T00:00:00Z"), ("2019-06-08T00:00:00Z", "2019-06-09T00:00:00Z")]),
            ],
            Some(("2019-06-01T00:00:00Z", "2019-06-11T00:00:00Z")),
        );
        let svg = timeline(&r);
        let doc = roxmltree::Document::parse(&svg).expect("well-formed");
        let texts: Vec<&str> = doc.descendants().filter(|n| n.has_tag_name("text")).filter_map(|n| n.text()).collect();
        assert!(texts.contains(&"db <prod> & \"replica\""), "{texts:?}");
        let gaps: Vec<(f64, f64)> = doc
            .descendants()
            .filter(|n| n.attribute("class") == Some("gap"))
            .map(|n| (n.attribute("x").unwrap().parse().unwrap(), n.attribute("width").unwrap().parse().unwrap()))
            .collect();
        assert_eq!(gaps.len(), 4, "1 + 2 source gaps, 1 shared");
        // Shared by both: 3 to 4 June, a tenth of the ten-day plot, starting two tenths in.
        let plot = WIDTH - LABEL - SHARE;
        let (x, w) = gaps[3];
        assert!((x - (LABEL + plot * 0.2)).abs() < 0.1 && (w - plot * 0.1).abs() < 0.1, "{x} {w}");
    }

    #[test]
    fn no_window_is_still_well_formed() {
        let svg = timeline(&report(vec![("portal", vec![])], None));
        roxmltree::Document::parse(&svg).expect("well-formed");
        assert!(svg.contains("cannot be drawn"));
    }
}
