//! Parts: collect's result for one log file (or one byte range of it), written by `breachscope scan` where
//! the logs are (a Spark task, another machine) and merged by `analyze --parts` in the case's file order
//! through the same merge the plain `analyze` uses ([`crate::stages::merge`]), so both give the same
//! outputs.
//!
//! A part is two files in the parts folder: `<stem>.part.json` (what the file contributes to the report,
//! coverage, warnings and manifest: record counts, ignored and rejected by reason, coverage tallies of every
//! account, per-account counts, tables and actions seen, blind spots, the rejects, the file's SHA-256 and
//! size, with the case file's SHA-256 and breachscope's version) and `<stem>.parquet` (the actors' events:
//! see [`events`]). The JSON is written last: a part without it was not finished and is not read.

pub mod activity;
pub mod events;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::case::Case;
use crate::error::{Error, Result};
use crate::ingest::event::Rejection;
use crate::ingest::files::RangeOutcome;
use crate::stages::collect::{ActorRejects, Collected, FileCounts, RejectSink, Unaccounted, ViewUse};

/// The parts' format (changes when their content changes meaning).
pub const FORMAT: u32 = 1;

/// What a part holds of its file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Extent {
    /// The whole file, with its SHA-256 and size.
    Whole { sha256: String, bytes: u64 },
    /// The records of a byte range (`scan --byte-range START:END`).
    Range { start: u64, end: u64, outcome: RangeOutcome },
    /// Only the file's SHA-256 and size (`scan --digest-only`: a file read in byte ranges).
    Digest { sha256: String, bytes: u64 },
}

/// How the logs were read: what a part must share with the run that merges it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reading {
    /// `--encoding`, `--assume-tz` as given.
    pub encoding: Option<String>,
    pub assume_tz: Option<String>,
    /// `scan --all-accounts`: every account's touches kept (for `suspects` and `profile`).
    pub all_accounts: bool,
}

/// Collect's result for the file, but for its event lists (in the Parquet file).
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Summary {
    pub counts: Option<FileCounts>,
    pub unknown_fields: BTreeMap<String, u64>,
    pub unmatched_paths: BTreeMap<String, u64>,
    pub unknown_actions: BTreeMap<String, u64>,
    pub other_tables: BTreeMap<String, u64>,
    pub actor_events: BTreeMap<String, u64>,
    #[serde(with = "crate::stages::collect::bits")]
    pub possibly_exposed: fixedbitset::FixedBitSet,
    pub unresolved_without_fields: u64,
    pub coverage: crate::coverage::recorder::CoverageRecorder,
    pub events_per_day: BTreeMap<String, u64>,
    pub failed_after_disabled: u64,
    pub views: Vec<ViewUse>,
    pub unaccounted: Vec<Unaccounted>,
    pub actor_records: BTreeMap<String, u64>,
    pub actor_rejects: Vec<StoredActorRejects>,
    pub near_accounts: BTreeMap<String, u64>,
    pub near_met: Vec<(String, u64)>,
}

/// [`ActorRejects`] with its source by index.
#[derive(Debug, Serialize, Deserialize)]
pub struct StoredActorRejects {
    pub actor: String,
    pub source: usize,
    pub records: u64,
    pub missing_zone: u64,
    pub first: String,
}

/// A part's JSON file.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartFile {
    pub part_format: u32,
    pub tool: String,
    pub version: String,
    /// SHA-256 of the case file the part was made with.
    pub case_sha256: String,
    pub reading: Reading,
    /// The file's place among the case's files (every file of the first log, then the second's...).
    pub file_index: usize,
    /// The file as shown in outputs, and its log.
    pub file: String,
    pub source: String,
    pub extent: Extent,
    /// The Parquet file beside this one with the actors' events (none for a digest part).
    pub events: Option<String>,
    pub event_rows: u64,
    pub summary: Summary,
    /// The file's rejected records, in order.
    pub rejects: Vec<Rejection>,
    /// `scan --all-accounts`: every account's activity (for `suspects` and `profile`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity: Option<activity::ActivityPart>,
}

/// SHA-256 (hex) of a file's bytes.
pub fn sha256_of(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|source| Error::Read { path: path.to_path_buf(), source })?;
    Ok(format!("{:x}", Sha256::digest(&bytes)))
}

/// A part's file name stem: the file's place in the case, its name, and the range.
pub fn stem(file_index: usize, file: &str, extent: &Extent) -> String {
    let name: String = file.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') { c } else { '_' }).collect();
    let name: String = name.chars().rev().take(80).collect::<Vec<_>>().into_iter().rev().collect();
    match extent {
        Extent::Whole { .. } => format!("{file_index:06}-{name}"),
        Extent::Range { start, end, .. } => format!("{file_index:06}-{name}@{start:015}-{end:015}"),
        Extent::Digest { .. } => format!("{file_index:06}-{name}.digest"),
    }
}

/// What a part is made of, before it is written.
pub struct NewPart<'a> {
    pub case: &'a Case,
    pub case_sha256: &'a str,
    pub reading: &'a Reading,
    pub file_index: usize,
    pub file: &'a str,
    pub extent: Extent,
    /// The file's collect result (`None`: a digest part).
    pub collected: Option<Collected>,
    pub rejects: Vec<Rejection>,
    /// `scan --all-accounts`: the file's every-account activity.
    pub activity: Option<crate::insider::activity::AllActivity>,
}

/// Writes a part into `dir` (temporary files renamed into place; an existing part is an error unless
/// `force`). Returns the JSON file's path.
pub fn write(dir: &Path, part: NewPart<'_>, force: bool) -> Result<PathBuf> {
    use crate::output::files::{check_writable, commit_all, AtomicFile};
    let stem = stem(part.file_index, part.file, &part.extent);
    let json_path = dir.join(format!("{stem}.part.json"));
    let events_path = dir.join(format!("{stem}.parquet"));
    check_writable(&json_path, force)?;
    let source_index = crate::stages::collect::case_files(part.case)[part.file_index].0;
    let mut files = Vec::new();
    let (summary, events, event_rows) = match part.collected {
        Some(mut collected) => {
            check_writable(&events_path, force)?;
            collected.coverage.settle();
            let mut out = AtomicFile::create(&events_path)?;
            let rows = events::write(part.case, part.file, &mut collected, &mut out, &events_path)?;
            files.push(out);
            (summary_of(collected), Some(format!("{stem}.parquet")), rows)
        }
        None => (Summary::default(), None, 0),
    };
    let activity = match part.activity {
        Some(all) => {
            let name = format!("{stem}.activity.parquet");
            let path = dir.join(&name);
            check_writable(&path, force)?;
            let mut out = AtomicFile::create(&path)?;
            let written = activity::write(part.case, all, &name, &mut out, &path)?;
            files.push(out);
            Some(written)
        }
        None => None,
    };
    let file = PartFile {
        part_format: FORMAT,
        tool: env!("CARGO_PKG_NAME").to_string(),
        version: env!("CARGO_PKG_VERSION").to_string(),
        case_sha256: part.case_sha256.to_string(),
        reading: part.reading.clone(),
        file_index: part.file_index,
        file: part.file.to_string(),
        source: part.case.logs[source_index].name.clone(),
        extent: part.extent,
        events,
        event_rows,
        summary,
        rejects: part.rejects,
        activity,
    };
    let mut json = serde_json::to_vec(&file).map_err(|e| Error::input(&json_path, format!("cannot write the part: {e}")))?;
    json.push(b'\n');
    let mut out = AtomicFile::create(&json_path)?;
    std::io::Write::write_all(&mut out, &json).map_err(|source| Error::Write { path: json_path.clone(), source })?;
    // The Parquet file first: a JSON file names a complete part.
    commit_all(files)?;
    out.commit()?;
    Ok(json_path)
}

fn summary_of(c: Collected) -> Summary {
    Summary {
        counts: c.files.into_iter().next(),
        unknown_fields: c.unknown_fields,
        unmatched_paths: c.unmatched_paths,
        unknown_actions: c.unknown_actions,
        other_tables: c.other_tables,
        actor_events: c.actor_events,
        possibly_exposed: c.possibly_exposed,
        unresolved_without_fields: c.unresolved_without_fields,
        coverage: c.coverage,
        events_per_day: c.events_per_day,
        failed_after_disabled: c.failed_after_disabled,
        views: c.views,
        unaccounted: c.unaccounted,
        actor_records: c.actor_records,
        actor_rejects: c
            .actor_rejects
            .into_iter()
            .map(|r| StoredActorRejects { actor: r.actor, source: r.source_index, records: r.records, missing_zone: r.missing_zone, first: r.first })
            .collect(),
        near_accounts: c.near_accounts,
        near_met: c.near_met,
    }
}

/// What a part's JSON says of where it belongs (read first, for the checks; the rest is read when the part
/// is merged, a window of files at a time, so memory holds a window of parts and the merged result, however
/// many parts there are).
#[derive(Debug, Deserialize)]
pub struct PartHeader {
    pub part_format: Option<u32>,
    pub version: Option<String>,
    pub case_sha256: Option<String>,
    pub reading: Reading,
    pub file_index: usize,
    pub file: String,
    pub extent: Extent,
}

/// A part found and checked (its header read).
pub struct LoadedPart {
    pub path: PathBuf,
    pub file: PartHeader,
}

/// A part read whole: its JSON, and (but for a digest part) its file's collect result and, from
/// `--all-accounts` parts, every account's activity.
struct OpenPart {
    file: PartFile,
    collected: Option<Collected>,
    activity: Option<crate::insider::activity::AllActivity>,
}

impl LoadedPart {
    fn open(&self, case: &Case) -> Result<OpenPart> {
        let path = &self.path;
        let bytes = std::fs::read(path).map_err(|source| Error::Read { path: path.clone(), source })?;
        let mut file: PartFile =
            serde_json::from_slice(&bytes).map_err(|e| Error::input_at(path, e.line() as u64, e.column() as u64, format!("not a breachscope part: {e}")))?;
        let collected = match file.events.clone() {
            Some(name) => Some(restore(case, path, &mut file, &path.with_file_name(name))?),
            None => None,
        };
        let activity = match file.activity.take() {
            Some(a) => {
                let events = path.with_file_name(&a.events);
                Some(activity::read(case, a, &events)?)
            }
            None => None,
        };
        Ok(OpenPart { file, collected, activity })
    }
}

/// Finds every part (`*.part.json`) in `dirs`, checking each was made from this case file (`case_sha256`)
/// by this version of breachscope, reading the logs the same way, for a file of the case.
pub fn load(case: &Case, case_sha256: &str, reading: &Reading, dirs: &[PathBuf]) -> Result<Vec<LoadedPart>> {
    let mut paths = Vec::new();
    for dir in dirs {
        let entries = std::fs::read_dir(dir).map_err(|source| Error::Read { path: dir.clone(), source })?;
        for entry in entries {
            let path = entry.map_err(|source| Error::Read { path: dir.clone(), source })?.path();
            if path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.ends_with(".part.json")) {
                paths.push(path);
            }
        }
    }
    paths.sort();
    if paths.is_empty() {
        let dirs: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
        return Err(Error::Usage(format!("--parts: no part (*.part.json) in {}; make them with `breachscope scan CASE --out DIR`", dirs.join(", "))));
    }
    let files = crate::stages::collect::case_files(case);
    let version = env!("CARGO_PKG_VERSION");
    let mut parts = Vec::new();
    for path in paths {
        let bytes = std::fs::read(&path).map_err(|source| Error::Read { path: path.clone(), source })?;
        #[derive(Deserialize)]
        struct Made {
            part_format: Option<u32>,
            version: Option<String>,
            case_sha256: Option<String>,
        }
        let not_part = |e: serde_json::Error| Error::input_at(&path, e.line() as u64, e.column() as u64, format!("not a breachscope part: {e}"));
        let made: Made = serde_json::from_slice(&bytes).map_err(not_part)?;
        let made_by = made.version.as_deref().unwrap_or("?");
        if made.part_format != Some(FORMAT) || made_by != version {
            return Err(Error::input(&path, format!("made by breachscope {made_by}, this is {version}: scan the logs again with this version")));
        }
        if made.case_sha256.as_deref() != Some(case_sha256) {
            return Err(Error::input(
                &path,
                format!("made from another case file (or another version of {}): scan the logs again with this case file", case.file.display()),
            ));
        }
        let file: PartHeader = serde_json::from_slice(&bytes).map_err(not_part)?;
        if (&file.reading.encoding, &file.reading.assume_tz) != (&reading.encoding, &reading.assume_tz) {
            return Err(Error::input(
                &path,
                format!(
                    "scanned with --encoding {:?} --assume-tz {:?}, this run reads with {:?} {:?}: give the same, or scan again",
                    file.reading.encoding, file.reading.assume_tz, reading.encoding, reading.assume_tz
                ),
            ));
        }
        let expected = files.get(file.file_index).map(|(_, p)| crate::read::input::display_path(p, &case.dir));
        if expected.as_deref() != Some(file.file.as_str()) {
            return Err(Error::input(
                &path,
                format!("names {} as the case's file #{}, which is {}: the case's logs changed since the scan; scan again", file.file, file.file_index + 1, expected.as_deref().unwrap_or("none")),
            ));
        }
        parts.push(LoadedPart { path, file });
    }
    Ok(parts)
}

/// A part's collect result, from its JSON's summary and its event table.
fn restore(case: &Case, json: &Path, file: &mut PartFile, events_path: &Path) -> Result<Collected> {
    let s = &file.summary;
    let bad = |m: &str| Error::input(json, format!("{m}: scan the file again"));
    if s.views.len() != case.logs.len() || s.unaccounted.len() != case.logs.len() || s.coverage.sources.len() != case.logs.len() {
        return Err(bad("its per-log lists do not match the case's logs"));
    }
    let mut c = Collected::new(case);
    let summary = std::mem::take(&mut file.summary);
    let mut counts = summary.counts.ok_or_else(|| bad("no record counts"))?;
    if let Extent::Whole { sha256, bytes } = &file.extent {
        counts.digest = Some((sha256.clone(), *bytes));
    }
    c.files = vec![counts];
    c.unknown_fields = summary.unknown_fields;
    c.unmatched_paths = summary.unmatched_paths;
    c.unknown_actions = summary.unknown_actions;
    c.other_tables = summary.other_tables;
    c.actor_events = summary.actor_events;
    c.possibly_exposed = summary.possibly_exposed;
    c.unresolved_without_fields = summary.unresolved_without_fields;
    c.coverage = summary.coverage;
    c.coverage.restore(case);
    c.events_per_day = summary.events_per_day;
    c.failed_after_disabled = summary.failed_after_disabled;
    c.views = summary.views;
    c.unaccounted = summary.unaccounted;
    c.actor_records = summary.actor_records;
    c.actor_rejects = summary
        .actor_rejects
        .into_iter()
        .map(|r| ActorRejects { source: case.logs.get(r.source).map_or_else(String::new, |l| l.name.clone()), actor: r.actor, source_index: r.source, records: r.records, missing_zone: r.missing_zone, first: r.first })
        .collect();
    c.near_accounts = summary.near_accounts;
    c.near_met = summary.near_met;
    let rows = events::read(case, events_path, &mut c)?;
    if rows != file.event_rows {
        return Err(Error::input(events_path, format!("holds {rows} rows, its part says {}: scan the file again", file.event_rows)));
    }
    Ok(c)
}

/// One log file's parts, checked: a whole-file part, or byte ranges (each with the lines before it) that
/// tile the file, with the file's digest.
enum FileParts {
    Whole(LoadedPart),
    Ranges { ranges: Vec<(LoadedPart, u64)>, digest: (String, u64), shown: String },
}

/// Checks that every log file of the case has exactly one complete set of parts (one whole-file part, or
/// byte ranges that tile the file with one digest part) and puts them in the case's file order.
fn in_file_order(case: &Case, parts: Vec<LoadedPart>) -> Result<Vec<FileParts>> {
    let files = crate::stages::collect::case_files(case);
    let mut per_file: Vec<Vec<LoadedPart>> = (0..files.len()).map(|_| Vec::new()).collect();
    for part in parts {
        per_file[part.file.file_index].push(part);
    }
    let mut out = Vec::new();
    for (index, mut parts) in per_file.into_iter().enumerate() {
        let shown = crate::read::input::display_path(files[index].1, &case.dir);
        let fix = format!("scan it with `breachscope scan {} --files {shown} --out DIR`", case.file.display());
        let named = |parts: &[LoadedPart]| parts.iter().map(|p| p.path.display().to_string()).collect::<Vec<_>>().join(", ");
        if parts.is_empty() {
            return Err(Error::Usage(format!("--parts: no part for the log file {shown}: {fix}")));
        }
        let wholes = parts.iter().filter(|p| matches!(p.file.extent, Extent::Whole { .. })).count();
        let digests: Vec<(String, u64)> = parts
            .iter()
            .filter_map(|p| match &p.file.extent {
                Extent::Digest { sha256, bytes } => Some((sha256.clone(), *bytes)),
                _ => None,
            })
            .collect();
        if wholes > 1 || (wholes == 1 && parts.len() > 1) {
            return Err(Error::Usage(format!("--parts: the log file {shown} has more than one part ({}): keep one", named(&parts))));
        }
        if wholes == 1 {
            out.push(FileParts::Whole(parts.pop().expect("one part")));
            continue;
        }
        // Byte ranges, with one digest part.
        if digests.len() != 1 {
            let what = if digests.is_empty() { "no digest part" } else { "more than one digest part" };
            return Err(Error::Usage(format!(
                "--parts: the log file {shown} was scanned in byte ranges with {what}: keep exactly one, made by `breachscope scan {} --files {shown} --digest-only --out DIR`",
                case.file.display()
            )));
        }
        let digest = digests.into_iter().next().expect("one digest");
        let mut ranges: Vec<LoadedPart> = parts.into_iter().filter(|p| matches!(p.file.extent, Extent::Range { .. })).collect();
        let range_of = |p: &LoadedPart| match &p.file.extent {
            Extent::Range { start, end, outcome } => (*start, *end, *outcome),
            _ => unreachable!("ranges only"),
        };
        ranges.sort_by_key(|p| (range_of(p).0, range_of(p).1));
        if ranges.is_empty() {
            return Err(Error::Usage(format!("--parts: the log file {shown} has a digest part and no records: {fix}")));
        }
        let mut expected_start = 0u64;
        let mut lines = 0u64;
        let mut next_record = Some(0u64);
        let mut checked = Vec::new();
        for part in ranges {
            let (start, end, outcome) = range_of(&part);
            if start != expected_start {
                let what = if start > expected_start { format!("bytes {expected_start}..{start} are in no range") } else { format!("the range {start}:{end} overlaps the one before (which ends at {expected_start})") };
                return Err(Error::Usage(format!("--parts: the log file {shown}: {what}; byte ranges must tile the file ({})", part.path.display())));
            }
            let empty = outcome.first == outcome.last;
            match next_record {
                Some(n) if n == outcome.first => next_record = outcome.next_record,
                // A range where no record starts, inside a record that goes on through it.
                _ if empty => {}
                Some(_) => {
                    return Err(Error::Usage(format!(
                        "--parts: the log file {shown}: a record goes on across byte {} (a quoted field with newlines), so the range {start}:{end} did not start at a record; scan with other boundaries or whole",
                        outcome.first
                    )))
                }
                None => {
                    return Err(Error::Usage(format!(
                        "--parts: the log file {shown}: the range {start}:{end} has records after the file's end: the ranges come from another file; scan again"
                    )))
                }
            }
            checked.push((part, lines));
            lines += outcome.newlines;
            expected_start = end;
        }
        if next_record.is_some() {
            return Err(Error::Usage(format!(
                "--parts: the log file {shown}: no byte range reaches the file's end (byte {}); scan the rest with --byte-range {expected_start}:{}",
                digest.1, digest.1
            )));
        }
        out.push(FileParts::Ranges { ranges: checked, digest, shown });
    }
    Ok(out)
}

/// Merges `parts` into the run's collect result in the case's file order, after checking that every log
/// file of the case has exactly one complete set of parts (see [`in_file_order`]). The parts' rejected
/// records go to `rejects` in the same order.
pub fn merge(case: &Case, parts: Vec<LoadedPart>, rejects: &mut dyn RejectSink) -> Result<Collected> {
    let mut out = Collected::new(case);
    let files = in_file_order(case, parts)?;
    // Parts are read (JSON and Parquet parsed) on every core, a window at a time, and merged in order: memory
    // holds one window of parts and the merged result.
    for window in files.chunks(OPEN_WINDOW) {
        let wanted: Vec<&LoadedPart> = window
            .iter()
            .flat_map(|f| match f {
                FileParts::Whole(part) => vec![part],
                FileParts::Ranges { ranges, .. } => ranges.iter().map(|(p, _)| p).collect(),
            })
            .collect();
        let opened: Vec<Result<OpenPart>> = {
            use rayon::prelude::*;
            wanted.par_iter().map(|p| p.open(case)).collect()
        };
        let mut opened = opened.into_iter();
        let mut next = || opened.next().expect("one opened part per part");
        for file in window {
            match file {
                FileParts::Whole(part) => {
                    let open = next()?;
                    feed_rejects(&open, rejects)?;
                    out.merge(open.collected.ok_or_else(|| no_events(part))?, false);
                }
                FileParts::Ranges { ranges, digest, shown } => {
                    let mut merged: Option<Collected> = None;
                    for (part, lines) in ranges {
                        let open = next()?;
                        feed_rejects_shifted(&open, *lines, rejects)?;
                        let mut c = open.collected.ok_or_else(|| no_events(part))?;
                        c.shift_lines(*lines, shown);
                        match merged.as_mut() {
                            Some(m) => m.merge(c, true),
                            None => merged = Some(c),
                        }
                    }
                    let mut merged = merged.expect("at least one range");
                    merged.files[0].digest = Some(digest.clone());
                    out.merge(merged, false);
                }
            }
        }
    }
    out.finish();
    Ok(out)
}

/// Log files whose parts are read at once by [`merge`].
const OPEN_WINDOW: usize = 64;

/// Every account's activity (`suspects --parts`, `profile --parts`), merged in the case's file order from
/// parts scanned with `--all-accounts`.
pub fn merge_activity(case: &Case, parts: Vec<LoadedPart>) -> Result<crate::insider::activity::AllActivity> {
    let mut out = crate::insider::activity::AllActivity::default();
    let take = |part: LoadedPart| {
        part.open(case)?.activity.ok_or_else(|| Error::input(&part.path, "scanned without --all-accounts: scan again with `breachscope scan CASE --all-accounts`"))
    };
    for file in in_file_order(case, parts)? {
        match file {
            FileParts::Whole(part) => out.merge(take(part)?, false),
            FileParts::Ranges { ranges, .. } => {
                let mut merged: Option<crate::insider::activity::AllActivity> = None;
                for (part, _) in ranges {
                    let a = take(part)?;
                    match merged.as_mut() {
                        Some(m) => m.merge(a, true),
                        None => merged = Some(a),
                    }
                }
                out.merge(merged.expect("at least one range"), false);
            }
        }
    }
    Ok(out)
}

fn no_events(part: &LoadedPart) -> Error {
    Error::input(&part.path, "names no event table: scan the file again")
}

fn feed_rejects(part: &OpenPart, sink: &mut dyn RejectSink) -> Result<()> {
    feed_rejects_shifted(part, 0, sink)
}

fn feed_rejects_shifted(part: &OpenPart, lines: u64, sink: &mut dyn RejectSink) -> Result<()> {
    for r in &part.file.rejects {
        let mut r = r.clone();
        r.line += lines;
        sink.reject(&part.file.file, &r)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stages::collect::{self, Reading as Files};
    use crate::stages::testing;

    fn quiet() -> crate::ui::Ui {
        crate::ui::Ui { quiet: true, color: false, progress: false }
    }

    /// Writes the case's one log as a part into `dir`.
    fn scan(case: &Case, dir: &Path) {
        let sha = sha256_of(&case.file).unwrap();
        let mut rejects: Vec<(String, Rejection)> = Vec::new();
        let mut parts = Vec::new();
        collect::collect_each(case, &quiet(), &mut rejects, &Files::default(), &mut |c| {
            parts.push(c);
            Ok(())
        })
        .unwrap();
        let c = parts.pop().unwrap();
        let (sha256, bytes) = c.files[0].digest.clone().unwrap();
        let part = NewPart {
            case,
            case_sha256: &sha,
            reading: &Reading::default(),
            file_index: 0,
            file: "audit.csv",
            extent: Extent::Whole { sha256, bytes },
            collected: Some(c),
            rejects: rejects.into_iter().map(|(_, r)| r).collect(),
            activity: None,
        };
        write(dir, part, false).unwrap();
    }

    #[test]
    fn a_part_read_back_merges_to_what_collect_gathers() {
        let dir = tempfile::tempdir().unwrap();
        let case = testing::case(dir.path());
        let parts = dir.path().join("parts");
        std::fs::create_dir(&parts).unwrap();
        scan(&case, &parts);
        let loaded = load(&case, &sha256_of(&case.file).unwrap(), &Reading::default(), std::slice::from_ref(&parts)).unwrap();
        let mut from_parts = Vec::new();
        let merged = merge(&case, loaded, &mut from_parts).unwrap();
        let mut direct_rejects = Vec::new();
        let direct = collect::collect(&case, &quiet(), &mut direct_rejects).unwrap();

        assert_eq!(from_parts, direct_rejects, "the rejects, with their file");
        let keys = |c: &Collected| -> Vec<(usize, String, u64, Vec<usize>)> {
            let mut v: Vec<_> = c.touched.iter().enumerate().flat_map(|(t, m)| m.iter().map(move |(k, x)| (t, k.clone(), x.count, x.fields.ones().collect()))).collect();
            v.sort();
            v
        };
        assert_eq!(keys(&merged), keys(&direct));
        assert_eq!(keys(&merged).len(), 2, "C1 and T2");
        let counts = |c: &Collected| c.files.iter().map(|f| (f.path.clone(), f.read, f.used, f.ignored, f.rejected, f.digest.clone())).collect::<Vec<_>>();
        assert_eq!(counts(&merged), counts(&direct));
        assert_eq!(merged.actor_events, direct.actor_events);
        assert_eq!(merged.actor_records, direct.actor_records);
        assert_eq!(merged.coverage.marks.len(), direct.coverage.marks.len());
        assert_eq!(merged.events_per_day, direct.events_per_day);

        // Scanned again into the same folder: refused without --force.
        let err = std::panic::catch_unwind(|| scan(&case, &parts)).err();
        assert!(err.is_some(), "an existing part is not overwritten");
    }
}
