//! Completeness: what the logs cover, where they are blind, and what cannot be ruled out.
//!
//! While [`crate::collect`] reads the logs, a [`CoverageRecorder`] keeps, per source, an hourly
//! histogram of all events (every account: this is about the log's own rhythm), per file the first and
//! last event and events per day, the blind spots of each record ([`blind`]), and the times of the
//! actors' events. [`build`] then finds each source's gaps inside the case window against its own rhythm
//! ([`gaps`]), the covered share of the window, and, in strict mode, turns every gap into a finding with
//! the actors' activity around it. [`svg::timeline`] draws covered and missing periods.

pub mod blind;
pub mod gaps;
pub mod histogram;
pub mod svg;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{Duration, NaiveDate};
use comfy_table::{presets, Cell, CellAlignment, ContentArrangement, Table};
use serde::Serialize;

use crate::case::{Case, Window};
use crate::collect::Collected;
use crate::exposure::{CustomerExposure, ExposureSummary};
use crate::ingest::prefilter::{HourTally, OtherAccountsTally};
use crate::ingest::RawEvent;
use crate::timefmt::{format_utc, Timestamp};

use blind::{BlindKind, BlindSpot, LineRef};
use gaps::{Gap, GapKind};
use histogram::{HourlyHistogram, Rhythm, RhythmSummary};

// ---------------------------------------------------------------------------------------------------
// Settings

/// `[case] min_gap` and `[case] coverage`, or `--min-gap` and `--strict-coverage`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CoverageSettings {
    /// The shortest silence reported as a gap (at least an hour: the histogram's resolution).
    pub min_gap: Duration,
    /// `coverage = "strict"`: every gap is a finding, and no data class can be called not exposed.
    pub strict: bool,
}

pub const DEFAULT_MIN_GAP_HOURS: i64 = 2;

impl Default for CoverageSettings {
    fn default() -> Self {
        CoverageSettings { min_gap: Duration::hours(DEFAULT_MIN_GAP_HOURS), strict: false }
    }
}

impl CoverageSettings {
    /// From the case file's optional `min_gap` and `coverage` values.
    pub fn from_case(min_gap: Option<&str>, mode: Option<&str>) -> Result<CoverageSettings, String> {
        let mut s = CoverageSettings::default();
        if let Some(text) = min_gap {
            s.min_gap = parse_min_gap(text).map_err(|e| format!("min_gap: {e}"))?;
        }
        if let Some(mode) = mode {
            s.strict = match mode {
                "strict" => true,
                "report" => false,
                other => return Err(format!("coverage = `{other}`: use \"report\" (the default) or \"strict\"")),
            };
        }
        Ok(s)
    }
}

/// A duration such as `2h`, `90min`, `1h 30m`, `1d`; at least one hour.
pub fn parse_min_gap(text: &str) -> Result<Duration, String> {
    let std = humantime::parse_duration(text.trim()).map_err(|e| format!("`{text}` is not a duration such as 2h, 90min or 1d ({e})"))?;
    let d = Duration::from_std(std).map_err(|_| format!("`{text}` is too long"))?;
    if d < Duration::hours(1) {
        return Err(format!("`{text}` is shorter than 1h, the resolution of the coverage histogram"));
    }
    Ok(d)
}

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
// Recording, while collect reads

#[derive(Clone, Debug)]
struct FileRecord {
    source: usize,
    path: String,
    events: u64,
    first: Option<Timestamp>,
    last: Option<Timestamp>,
    per_day: BTreeMap<NaiveDate, u64>,
    /// Other accounts' records per hour, from parsers' tallies, not yet in `per_day`, `first`, `last` and
    /// the source's histogram (see [`CoverageRecorder::settled`]): merging into a hash map per tally is
    /// cheaper than into the ordered maps.
    pending_hours: HashMap<i64, HourTally, foldhash::fast::FixedState>,
}

#[derive(Clone, Debug, Default)]
struct SourceRecord {
    hist: HourlyHistogram,
    /// Events inside the case's window (every account).
    in_window: u64,
    blind: Vec<BlindSpot>,
}

/// An event of one of the case's actors (any time, any outcome): for "activity around a gap".
#[derive(Clone, Copy, Debug)]
struct ActorMark {
    time: Timestamp,
    file: u32,
    actor: u32,
    line: u64,
}

/// Fed by collect: one call per file, per event and per rejected record.
#[derive(Clone, Debug, Default)]
pub struct CoverageRecorder {
    actors: Vec<String>,
    window: Window,
    sources: Vec<SourceRecord>,
    files: Vec<FileRecord>,
    marks: Vec<ActorMark>,
}

impl CoverageRecorder {
    pub fn new(case: &Case) -> CoverageRecorder {
        let mut actors = case.actors.clone();
        actors.sort();
        let blank = SourceRecord { hist: HourlyHistogram::default(), in_window: 0, blind: BlindKind::ALL.iter().map(|k| BlindSpot::new(*k)).collect() };
        let mut sources = vec![blank; case.logs.len()];
        for s in &mut sources {
            s.blind[BlindKind::WholeTableRead.index()].records = None;
        }
        CoverageRecorder { actors, window: case.window, sources, files: Vec::new(), marks: Vec::new() }
    }

    /// Starts a file of source `source`; returns the file's index for the other calls.
    pub fn begin_file(&mut self, source: usize, path: &str) -> usize {
        self.files.push(FileRecord { source, path: path.to_string(), events: 0, first: None, last: None, per_day: BTreeMap::new(), pending_hours: HashMap::default() });
        self.files.len() - 1
    }

    pub fn rejected(&mut self, file: usize) {
        let source = self.files[file].source;
        self.sources[source].blind[BlindKind::Rejected.index()].add(None);
    }

    /// Other accounts' records counted by a parser: as many [`CoverageRecorder::event`] calls for events
    /// with an empty payload (so no blind spot but a missing account, and no actor).
    pub fn other_accounts(&mut self, file: usize, tally: &OtherAccountsTally) {
        let f = &mut self.files[file];
        f.events += tally.records;
        crate::ingest::prefilter::merge_hours(&mut f.pending_hours, &tally.hours);
        let source = &mut self.sources[f.source];
        source.in_window += tally.in_window;
        source.blind[BlindKind::NoAccount.index()].add_records(tally.without_account);
    }

    /// The recording with every tallied hour in place.
    pub fn settled(&self) -> CoverageRecorder {
        let mut rec = self.clone();
        for f in &mut rec.files {
            let source = &mut rec.sources[f.source];
            for (hour, cell) in std::mem::take(&mut f.pending_hours) {
                f.first = Some(f.first.map_or(cell.first, |t| t.min(cell.first)));
                f.last = Some(f.last.map_or(cell.last, |t| t.max(cell.last)));
                *f.per_day.entry(cell.first.date_naive()).or_default() += cell.count;
                source.hist.add_cell(hour, cell);
            }
        }
        rec
    }

    pub fn event(&mut self, file: usize, event: &RawEvent) {
        let f = &mut self.files[file];
        f.events += 1;
        f.first = Some(f.first.map_or(event.time, |t| t.min(event.time)));
        f.last = Some(f.last.map_or(event.time, |t| t.max(event.time)));
        *f.per_day.entry(event.time.date_naive()).or_default() += 1;
        let source = &mut self.sources[f.source];
        source.hist.add(event.time);
        if self.window.contains(&event.time) {
            source.in_window += 1;
        }

        let actor = event.actor.as_deref().and_then(|a| self.actors.binary_search_by(|x| x.as_str().cmp(a)).ok());
        if let Some(a) = actor {
            self.marks.push(ActorMark { time: event.time, file: file as u32, actor: a as u32, line: event.line });
        }
        let counted = actor.is_some() && self.window.contains(&event.time) && event.failure.is_none();
        for kind in blind::classify(event) {
            let line = counted.then(|| LineRef {
                file: f.path.clone(),
                line: event.line,
                time: format_utc(&event.time),
                actor: event.actor.clone().unwrap_or_default(),
            });
            source.blind[kind.index()].add(line);
        }
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
    let mut sources: Vec<SourceRecord> = rec.sources.clone();
    // Whole-table reads come from collect's interpretation of the actors' events.
    for access in &collected.table_accesses {
        if let Some(i) = case.logs.iter().position(|l| l.name == access.source) {
            let line = LineRef { file: access.file.clone(), line: access.line, time: access.time.clone(), actor: access.actor.clone() };
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
        let rhythm = window.and_then(|w| Rhythm::learn(&src.hist, Some(w)));
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
            *per_day.entry(histogram::hour_start(*hour).date_naive().to_string()).or_default() += cell.count;
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
                    b.actor_lines.sort_by(|x, y| (&x.file, x.line).cmp(&(&y.file, y.line)));
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
        format_utc(&start),
        format_utc(&end),
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

/// Strict mode with gaps: no data class can be called "not exposed".
pub fn apply_strict(summary: &mut ExposureSummary, report: &CoverageReport) {
    if report.mode != "strict" || report.gaps == 0 {
        return;
    }
    summary.held_not_exposed.clear();
    if summary.not_exposed_blocked_by.is_none() {
        summary.not_exposed_blocked_by = Some(format!(
            "strict coverage: {} log gap(s) inside the window, where any access cannot be ruled out (see coverage.findings)",
            report.gaps
        ));
    }
}

// ---------------------------------------------------------------------------------------------------
// Terminal summary

fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_preset(presets::UTF8_FULL_CONDENSED).set_content_arrangement(ContentArrangement::Dynamic);
    if std::env::var_os("NO_COLOR").is_some() {
        t.force_no_tty();
    }
    t.set_header(header.iter().map(Cell::new));
    t
}

fn num(n: impl ToString) -> Cell {
    Cell::new(n.to_string()).set_alignment(CellAlignment::Right)
}

/// How many gaps, blind lines and findings the terminal shows (the report has them all).
const SHOWN: usize = 10;

/// The coverage part of the summary, as text for stderr.
pub fn summary(r: &CoverageReport) -> String {
    let mut out = String::from("\nCoverage");
    match (&r.window_start, &r.window_end) {
        (Some(s), Some(e)) => out.push_str(&format!(" of {s} .. {e} (min gap {}, mode {}):\n", r.min_gap, r.mode)),
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
            t.add_row(vec![Cell::new(source), Cell::new(&g.start), Cell::new(&g.end), Cell::new(&g.duration), num(expected), Cell::new(g.kind.as_str())]);
        }
        out.push_str(&format!("Gaps (silences where the source normally writes events):\n{t}\n"));
        if all_gaps.len() > SHOWN {
            out.push_str(&format!("... and {} more gap(s): see coverage in the report.\n", all_gaps.len() - SHOWN));
        }
    }

    for s in &r.sources {
        for b in s.blind_spots.iter().filter(|b| b.actor_events > 0) {
            let lines: Vec<String> = b.actor_lines.iter().take(SHOWN).map(|l| format!("{}:{}", l.file, l.line)).collect();
            let more = if b.actor_events as usize > lines.len() { format!(" and {} more", b.actor_events as usize - lines.len()) } else { String::new() };
            out.push_str(&format!("Blind: {} {}: {} by the actors at {}{more}\n", s.source, b.kind, b.actor_events, lines.join(", ")));
        }
    }

    if !r.findings.is_empty() {
        out.push_str(&format!("\n!! STRICT COVERAGE: {} gap(s) inside the window where the actors' access cannot be ruled out:\n", r.findings.len()));
        let mut t = table(&["source", "gap", "actors' last event before", "first event after", "events elsewhere during"]);
        let show = |a: &Option<Activity>| a.as_ref().map(|a| format!("{} {}\n{}:{}", a.time, a.actor, a.file, a.line)).unwrap_or_else(|| "none".into());
        for f in r.findings.iter().take(SHOWN) {
            t.add_row(vec![
                Cell::new(&f.source),
                Cell::new(format!("{} ..\n{}", f.gap.start, f.gap.end)),
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
    fn settings_from_the_case() {
        let s = CoverageSettings::from_case(Some("1h 30m"), Some("strict")).unwrap();
        assert_eq!((s.min_gap, s.strict), (Duration::minutes(90), true));
        assert_eq!(CoverageSettings::from_case(None, None).unwrap(), CoverageSettings::default());
        assert_eq!(parse_min_gap("1d").unwrap(), Duration::days(1));
        assert!(parse_min_gap("45min").unwrap_err().contains("shorter than 1h"));
        assert!(parse_min_gap("two hours").is_err());
        assert!(CoverageSettings::from_case(None, Some("lenient")).unwrap_err().contains("strict"));
    }

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
