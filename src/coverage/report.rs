//! The coverage report, after exposure: each source's gaps inside the case window against its own rhythm
//! ([`crate::coverage::gaps`]), the covered share of the window, blind spots, and, in strict mode, every
//! gap as a finding with the actors' activity around it; the line for counsel; the terminal summary.

use std::collections::{BTreeMap, BTreeSet};

use chrono::Duration;
use comfy_table::Cell;
use serde::Serialize;

use crate::case::Case;
use crate::coverage::blind::{BlindKind, BlindSpot, LineRef};
use crate::coverage::gaps::{self, Gap, GapKind};
use crate::coverage::histogram::{self, RhythmSummary};
use crate::coverage::recorder::{ActorMark, CoverageRecorder};
use crate::ui::{num, table, window_bound};
use crate::read::timefmt::{format_utc, Timestamp};
use crate::stages::collect::Collected;
use crate::stages::exposure::{CustomerExposure, ExposureSummary};

/// A duration for people, in whole seconds: `1d 14h 38m 4s`, `119d 17h` (days, never months).
pub fn human(d: Duration) -> String {
    let s = d.num_seconds().max(0);
    let parts = [(s / 86_400, "d"), (s % 86_400 / 3600, "h"), (s % 3600 / 60, "m"), (s % 60, "s")];
    let text: Vec<String> = parts.iter().filter(|(n, _)| *n > 0).map(|(n, unit)| format!("{n}{unit}")).collect();
    if text.is_empty() {
        "0s".to_string()
    } else {
        text.join(" ")
    }
}

// ---------------------------------------------------------------------------------------------------
// The report

#[derive(Clone, Debug, Serialize)]
pub struct CoverageReport {
    /// `report`, or `strict` (every gap is a finding).
    pub mode: &'static str,
    /// The window judged: the case's, or where it is open, the span of all logs' events.
    pub window_start: Option<String>,
    pub window_end: Option<String>,
    /// `case` or `logs` for each end: where the bound came from.
    pub window_start_from: &'static str,
    pub window_end_from: &'static str,
    pub min_gap: String,
    pub min_gap_seconds: i64,
    /// Share of the window (0..1) that at least one source covers.
    pub covered_share_any: f64,
    /// Share of the window that every source covers.
    pub covered_share_all: f64,
    pub gaps: usize,
    /// Records the actors reached (per table and key) that one or more sources with gaps showed.
    pub records_on_gapped_sources: u64,
    /// Affected customers listed through one or more sources with gaps.
    pub customers_on_gapped_sources: u64,
    /// The line for counsel.
    pub legal_summary: String,
    pub sources: Vec<SourceCoverage>,
    /// Strict mode: every gap with the actors' activity around it.
    pub findings: Vec<GapFinding>,
    #[serde(skip)]
    pub window: Option<(Timestamp, Timestamp)>,
}

#[derive(Clone, Debug, Serialize)]
pub struct SourceCoverage {
    pub source: String,
    pub first_event: Option<String>,
    pub last_event: Option<String>,
    /// Events of every account, every time.
    pub events: u64,
    pub events_in_window: u64,
    /// Events a silence must normally have held to be a gap (see the gaps module: grows with volume, and
    /// with the source's burst size).
    pub gap_threshold_events: f64,
    /// The history the source's rhythm was learnt from, its burst size, and whether it could be judged.
    pub rhythm: RhythmSummary,
    pub covered_share: f64,
    pub covered_seconds: i64,
    pub missing_seconds: i64,
    pub gaps: Vec<GapReport>,
    /// UTC date → events (every account).
    pub events_per_day: BTreeMap<String, u64>,
    pub files: Vec<FileCoverage>,
    pub blind_spots: Vec<BlindSpot>,
}

#[derive(Clone, Debug, Serialize)]
pub struct FileCoverage {
    pub path: String,
    pub first_event: Option<String>,
    pub last_event: Option<String>,
    pub events: u64,
    pub events_per_day: BTreeMap<String, u64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct GapReport {
    pub start: String,
    pub end: String,
    pub duration: String,
    pub duration_seconds: i64,
    /// Events the source normally writes in such a period (one decimal); `null`: the source has none.
    pub expected_events: Option<f64>,
    pub kind: GapKind,
    #[serde(skip)]
    pub period: (Timestamp, Timestamp),
}

impl GapReport {
    fn from_gap(g: &Gap) -> GapReport {
        GapReport {
            start: format_utc(&g.start),
            end: format_utc(&g.end),
            duration: human(g.duration()),
            duration_seconds: g.duration().num_seconds(),
            expected_events: g.expected.map(|e| (e * 10.0).round() / 10.0),
            kind: g.kind,
            period: (g.start, g.end),
        }
    }
}

/// An actor's event next to a gap.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Activity {
    pub time: String,
    pub actor: String,
    pub source: String,
    pub file: String,
    pub line: u64,
    /// The record's place in a file whose records share lines (a CloudTrail Records file is one line).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<crate::ingest::event::RecordPlace>,
}

/// Strict mode: a gap that cannot be ruled out, and what the actors did around it.
#[derive(Clone, Debug, Serialize)]
pub struct GapFinding {
    pub source: String,
    #[serde(flatten)]
    pub gap: GapReport,
    /// The actors' last event (any source) at or before the gap's start.
    pub actor_last_before: Option<Activity>,
    /// Their first event (any source) at or after its end.
    pub actor_first_after: Option<Activity>,
    /// Their events in other sources during the gap.
    pub actor_events_during: u64,
}

/// Finds gaps and blind spots. `rows`: the notification list's rows (for customers on gapped sources).
pub fn build(case: &Case, collected: &Collected, rows: &[CustomerExposure]) -> CoverageReport {
    let rec = &collected.coverage.settled();
    let settings = case.coverage;
    let mut sources: Vec<crate::coverage::recorder::SourceRecord> = rec.sources.clone();
    // Whole-table reads come from collect's interpretation of the actors' events.
    for access in &collected.table_accesses {
        if let Some(i) = case.logs.iter().position(|l| l.name == access.origin.source) {
            let o = &access.origin;
            let line = LineRef { file: o.file.clone(), line: o.line, time: o.time_utc(), actor: o.actor.clone(), record: o.record.clone() };
            sources[i].blind[BlindKind::WholeTableRead.index()].add_actor_line(line);
        }
    }

    let first = sources.iter().filter_map(|s| s.hist.first()).min();
    let last = sources.iter().filter_map(|s| s.hist.last()).max();
    let start = case.window.since.or(first);
    let end = case.window.until.or(last);
    let window = match (start, end) {
        (Some(s), Some(e)) if s <= e => Some((s, e)),
        _ => None,
    };
    let length = window.map(|(s, e)| e - s).unwrap_or_else(Duration::zero);

    let mut out_sources = Vec::new();
    let mut gap_sets: Vec<Vec<(Timestamp, Timestamp)>> = Vec::new();
    for (i, (log, src)) in case.logs.iter().zip(sources.iter_mut()).enumerate() {
        let rhythm = window.and_then(|w| gaps::learn_rhythm(&src.hist, Some(w)));
        let found = match window {
            Some((s, e)) => gaps::find_gaps(&src.hist, rhythm.as_ref(), s, e, settings.min_gap),
            None => Vec::new(),
        };
        // The window's open ends are the logs' own span, so every event of an open end is inside.
        let events_in_window = src.in_window;
        let periods: Vec<(Timestamp, Timestamp)> = found.iter().map(|g| (g.start, g.end)).collect();
        let missing = gaps::total(&periods);
        let mut per_day: BTreeMap<String, u64> = BTreeMap::new();
        for (hour, cell) in &src.hist.cells {
            *per_day.entry(crate::coverage::histogram::hour_start(*hour).date_naive().to_string()).or_default() += cell.count;
        }
        let files = rec
            .files
            .iter()
            .filter(|f| f.source == i)
            .map(|f| FileCoverage {
                path: f.path.clone(),
                first_event: f.first.as_ref().map(format_utc),
                last_event: f.last.as_ref().map(format_utc),
                events: f.events,
                events_per_day: f.per_day.iter().map(|(d, n)| (d.to_string(), *n)).collect(),
            })
            .collect();
        out_sources.push(SourceCoverage {
            source: log.name.clone(),
            first_event: src.hist.first().as_ref().map(format_utc),
            last_event: src.hist.last().as_ref().map(format_utc),
            events: src.hist.total(),
            events_in_window,
            gap_threshold_events: (rhythm.as_ref().map_or(gaps::threshold(events_in_window), |r| gaps::rhythm_threshold(events_in_window, r)) * 10.0).round() / 10.0,
            rhythm: RhythmSummary::of(rhythm.as_ref()),
            covered_share: share(length - missing, length, found.is_empty()),
            covered_seconds: (length - missing).num_seconds(),
            missing_seconds: missing.num_seconds(),
            gaps: found.iter().map(GapReport::from_gap).collect(),
            events_per_day: per_day,
            files,
            blind_spots: std::mem::take(&mut src.blind)
                .into_iter()
                .map(|mut b| {
                    b.actor_lines.sort_by_key(|x| (x.file.clone(), x.line, x.record.as_ref().map_or(0, |r| r.index)));
                    b
                })
                .collect(),
        });
        gap_sets.push(periods);
    }

    // Covered by any source: missing only where every source has a gap. By all: missing where any has.
    let missing_all_sources = gap_sets.iter().skip(1).fold(gap_sets.first().cloned().unwrap_or_default(), |acc, g| gaps::intersect(&acc, g));
    let missing_any_source = gaps::union(gap_sets.iter().flatten().copied().collect());
    let none_missing = missing_all_sources.is_empty();
    let covered_share_any = share(length - gaps::total(&missing_all_sources), length, none_missing);
    let covered_share_all = share(length - gaps::total(&missing_any_source), length, missing_any_source.is_empty());

    let gapped: BTreeSet<usize> = out_sources.iter().enumerate().filter(|(_, s)| !s.gaps.is_empty()).map(|(i, _)| i).collect();
    let gapped_names: BTreeSet<&str> = gapped.iter().map(|i| case.logs[*i].name.as_str()).collect();
    let records_on_gapped_sources =
        collected.touched.iter().flat_map(|m| m.values()).filter(|t| gapped.iter().any(|i| t.sources.contains(*i))).count() as u64;
    let customers_on_gapped_sources = rows.iter().filter(|r| r.sources.iter().any(|s| gapped_names.contains(s.as_str()))).count() as u64;

    let mut findings = Vec::new();
    if settings.strict {
        let mut marks = rec.marks.clone();
        marks.sort_by_key(|m| (m.time, m.file, m.line));
        for (i, s) in out_sources.iter().enumerate() {
            for g in &s.gaps {
                findings.push(finding(case, rec, &marks, i, g));
            }
        }
        findings.sort_by(|a, b| (&a.gap.start, &a.source).cmp(&(&b.gap.start, &b.source)));
    }

    let gap_count = out_sources.iter().map(|s| s.gaps.len()).sum();
    let mut report = CoverageReport {
        mode: if settings.strict { "strict" } else { "report" },
        window_start: window.map(|w| format_utc(&w.0)),
        window_end: window.map(|w| format_utc(&w.1)),
        window_start_from: if case.window.since.is_some() { "case" } else { "logs" },
        window_end_from: if case.window.until.is_some() { "case" } else { "logs" },
        min_gap: human(settings.min_gap),
        min_gap_seconds: settings.min_gap.num_seconds(),
        covered_share_any,
        covered_share_all,
        gaps: gap_count,
        records_on_gapped_sources,
        customers_on_gapped_sources,
        legal_summary: String::new(),
        sources: out_sources,
        findings,
        window,
    };
    report.legal_summary = legal_summary(&report);
    report
}

/// Covered share of the window; a window of no length is covered unless a source has no events.
fn share(covered: Duration, length: Duration, nothing_missing: bool) -> f64 {
    if length <= Duration::zero() {
        return if nothing_missing { 1.0 } else { 0.0 };
    }
    (covered.num_milliseconds() as f64 / length.num_milliseconds() as f64).clamp(0.0, 1.0)
}

fn finding(case: &Case, rec: &CoverageRecorder, marks: &[ActorMark], source: usize, gap: &GapReport) -> GapFinding {
    let (start, end) = gap.period;
    let activity = |m: &ActorMark| {
        let file = &rec.files[m.file as usize];
        Activity {
            time: format_utc(&m.time),
            actor: rec.actors[m.actor as usize].clone(),
            source: case.logs[file.source].name.clone(),
            file: file.path.clone(),
            line: m.line,
            record: m.record.as_deref().cloned(),
        }
    };
    let before = marks.partition_point(|m| m.time <= start);
    let after = marks.partition_point(|m| m.time < end);
    let during = marks[before..after].iter().filter(|m| rec.files[m.file as usize].source != source).count() as u64;
    GapFinding {
        source: case.logs[source].name.clone(),
        gap: gap.clone(),
        actor_last_before: before.checked_sub(1).map(|i| activity(&marks[i])),
        actor_first_after: marks.get(after).map(activity),
        actor_events_during: during,
    }
}

/// A share as a percentage rounded down to 0.1 (never "100.0 %" while something is missing).
pub fn percent(share: f64) -> String {
    format!("{:.1} %", (share * 1000.0 + 1e-9).floor() / 10.0)
}

fn legal_summary(r: &CoverageReport) -> String {
    let Some((start, end)) = r.window else {
        return "No log has any event and the case sets no window: coverage cannot be stated.".to_string();
    };
    let per_source: Vec<String> = r.sources.iter().map(|s| format!("{} {}", s.source, percent(s.covered_share))).collect();
    let mut text = format!(
        "The logs cover {} of the window {} .. {} with at least one source and {} with every source ({}).",
        percent(r.covered_share_any),
        window_bound(&format_utc(&start)),
        window_bound(&format_utc(&end)),
        percent(r.covered_share_all),
        per_source.join(", ")
    );
    match (r.window_start_from, r.window_end_from) {
        ("logs", "logs") => text.push_str(" The case sets no window: it is the span of the logs' events."),
        ("logs", _) => text.push_str(" The case sets no start: the window opens at the logs' first event."),
        (_, "logs") => text.push_str(" The case sets no end: the window closes at the logs' last event."),
        _ => {}
    }
    if r.gaps == 0 {
        text.push_str(&format!(" No source has a gap of {} or more where it normally writes events.", r.min_gap));
    } else {
        let gapped = r.sources.iter().filter(|s| !s.gaps.is_empty()).count();
        text.push_str(&format!(
            " {} gap(s) in {} source(s): access during them cannot be ruled out. {} record(s) the actors reached ({} listed customer(s)) rest on sources with gaps.",
            r.gaps, gapped, r.records_on_gapped_sources, r.customers_on_gapped_sources
        ));
    }
    let unjudged: Vec<&str> = r.sources.iter().filter(|s| s.rhythm.burst_size.is_some() && !s.rhythm.learnt).map(|s| s.source.as_str()).collect();
    if !unjudged.is_empty() {
        text.push_str(&format!(
            " Too little history to learn the rhythm of {} (under {} days): {} silences are judged as if every weekday were alike and events came one by one: coverage there is an estimate, and a gap may be normal quiet.",
            unjudged.join(", "),
            histogram::MIN_HISTORY_DAYS,
            if unjudged.len() == 1 { "its" } else { "their" }
        ));
    }
    text
}

/// Strict mode with gaps: no data class can be called "not exposed" (they cannot be ruled out).
pub fn apply_strict(summary: &mut ExposureSummary, report: &CoverageReport) {
    if report.mode != "strict" || report.gaps == 0 {
        return;
    }
    let reason = format!("strict coverage: {} log gap(s) inside the window, where any access cannot be ruled out (see coverage.findings)", report.gaps);
    summary.blockers.push(crate::stages::exposure::Blocker {
        source: String::new(),
        kind: "coverage_gap",
        reason,
        classes: summary.held.iter().map(|h| h.class).collect(),
    });
    crate::stages::exposure::settle_not_exposed(summary);
}

// ---------------------------------------------------------------------------------------------------
// Terminal summary

/// How many gaps, blind lines and findings the terminal shows (the report has them all).
const SHOWN: usize = 10;

/// The coverage part of the summary, as text for stderr.
pub fn summary(r: &CoverageReport) -> String {
    let mut out = String::from("\nCoverage");
    match (&r.window_start, &r.window_end) {
        (Some(s), Some(e)) => out.push_str(&format!(" of {} .. {} (min gap {}, mode {}):\n", window_bound(s), window_bound(e), r.min_gap, r.mode)),
        _ => out.push_str(":\n"),
    }
    let mut sources = table(&["source", "first event", "last event", "events", "in window", "covered", "gaps", "missing", "blind spots"]);
    for s in &r.sources {
        let blind: Vec<String> = s
            .blind_spots
            .iter()
            .filter(|b| b.records.unwrap_or(0) > 0 || b.actor_events > 0)
            .map(|b| match b.records {
                Some(n) => format!("{} {n} (actors {})", b.kind, b.actor_events),
                None => format!("{} (actors {})", b.kind, b.actor_events),
            })
            .collect();
        sources.add_row(vec![
            Cell::new(&s.source),
            Cell::new(s.first_event.as_deref().unwrap_or("-")),
            Cell::new(s.last_event.as_deref().unwrap_or("-")),
            num(s.events),
            num(s.events_in_window),
            num(percent(s.covered_share)),
            num(s.gaps.len()),
            Cell::new(human(Duration::seconds(s.missing_seconds))),
            Cell::new(if blind.is_empty() { "none".to_string() } else { blind.join("\n") }),
        ]);
    }
    out.push_str(&format!("{sources}\n"));

    let all_gaps: Vec<(&str, &GapReport)> = r.sources.iter().flat_map(|s| s.gaps.iter().map(move |g| (s.source.as_str(), g))).collect();
    if !all_gaps.is_empty() {
        let mut t = table(&["source", "gap start", "gap end", "duration", "expected events", "where"]);
        for (source, g) in all_gaps.iter().take(SHOWN) {
            let expected = g.expected_events.map(|e| format!("{e:.1}")).unwrap_or_else(|| "no events at all".into());
            t.add_row(vec![Cell::new(source), Cell::new(window_bound(&g.start)), Cell::new(window_bound(&g.end)), Cell::new(&g.duration), num(expected), Cell::new(g.kind.as_str())]);
        }
        out.push_str(&format!("Gaps (silences where the source normally writes events):\n{t}\n"));
        if all_gaps.len() > SHOWN {
            out.push_str(&format!("... and {} more gap(s): see coverage in the report.\n", all_gaps.len() - SHOWN));
        }
    }

    for s in &r.sources {
        for b in s.blind_spots.iter().filter(|b| b.actor_events > 0) {
            let lines: Vec<String> = b.actor_lines.iter().take(SHOWN).map(LineRef::location).collect();
            let more = if b.actor_events as usize > lines.len() { format!(" and {} more", b.actor_events as usize - lines.len()) } else { String::new() };
            out.push_str(&format!("Blind: {} {}: {} by the actors at {}{more}\n", s.source, b.kind, b.actor_events, lines.join(", ")));
        }
    }

    for s in &r.sources {
        let no_account = s.blind_spots.iter().filter(|b| b.kind == BlindKind::NoAccount.as_str()).filter_map(|b| b.records).sum::<u64>();
        if no_account > 0 {
            out.push_str(&format!(
                "!! {}: {no_account} access record(s) name no account, so the actors' accesses may be among them ({}).\n",
                s.source,
                BlindKind::NoAccount.describe()
            ));
        }
    }

    if !r.findings.is_empty() {
        out.push_str(&format!("\n!! STRICT COVERAGE: {} gap(s) inside the window where the actors' access cannot be ruled out:\n", r.findings.len()));
        let mut t = table(&["source", "gap", "actors' last event before", "first event after", "events elsewhere during"]);
        let show = |a: &Option<Activity>| {
            a.as_ref()
                .map(|a| {
                    let place = a.record.as_ref().map(|p| format!(" {p}")).unwrap_or_default();
                    format!("{} {}\n{}:{}{place}", a.time, a.actor, a.file, a.line)
                })
                .unwrap_or_else(|| "none".into())
        };
        for f in r.findings.iter().take(SHOWN) {
            t.add_row(vec![
                Cell::new(&f.source),
                Cell::new(format!("{} ..\n{}", window_bound(&f.gap.start), window_bound(&f.gap.end))),
                Cell::new(show(&f.actor_last_before)),
                Cell::new(show(&f.actor_first_after)),
                num(f.actor_events_during),
            ]);
        }
        out.push_str(&format!("{t}\n"));
        if r.findings.len() > SHOWN {
            out.push_str(&format!("... and {} more: see coverage.findings in the report.\n", r.findings.len() - SHOWN));
        }
    }
    out.push_str(&format!("For counsel: {}\n", r.legal_summary));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_percentages_for_people() {
        assert_eq!(human(Duration::seconds(119 * 86_400 + 17 * 3600 + 11)), "119d 17h 11s");
        assert_eq!(human(Duration::hours(2)), "2h");
        assert_eq!(human(Duration::milliseconds(999)), "0s");
        assert_eq!(percent(0.99999), "99.9 %");
        assert_eq!(percent(1.0), "100.0 %");
        assert_eq!(percent(0.71), "71.0 %");
    }
}
