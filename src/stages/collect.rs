//! The collect stage (the first; the order is in `analysis`): read every log of the case, keep the events of the case's actors inside the
//! window that succeeded, and gather what they touched: per table and key, the fields shown, first and
//! last access, how many accesses, and from which sources. Every record read is accounted for:
//! read = used + ignored (by reason) + rejected.

use std::collections::{BTreeMap, HashSet};

use fixedbitset::FixedBitSet;
use serde::{Deserialize, Serialize};

use crate::case::Case;

use crate::case::schema::{FieldId, TableId};

use crate::case::logs::LogSpec;
use crate::error::Result;
use crate::evidence::access::{Access, DefaultView, FieldsFrom, Grade, ReplayQuery};
use crate::evidence::interpreter::Interpreter;
use crate::ingest::prefilter::{AccountsOfInterest, OtherAccountsTally};
use crate::ingest::files::{FileItem, LogFile};
use crate::ingest;
use crate::ingest::event::{IgnoreReason, Parsed, ParserSettings, RawEvent, RecordPlace, Rejection};
use crate::read::near::{NearCounts, NearNames};
use crate::read::timefmt::Timestamp;
use crate::stages::origin::EventOrigin;
use crate::ui::Ui;

/// What the actors' accesses did to one record (or, after resolution, one customer).
#[derive(Clone, Debug)]
pub struct Touch {
    pub first: Timestamp,
    pub last: Timestamp,
    pub count: u64,
    /// Every field shown, by any access.
    pub fields: FixedBitSet,
    /// The fields of `fields` that only accesses with an assumed view showed (no access whose fields the log
    /// gave or the case declared did): they rest on the assumption.
    pub assumed: FixedBitSet,
    /// Indexes into the case's logs.
    pub sources: FixedBitSet,
    /// The strongest evidence behind this touch.
    pub grade: Grade,
}

impl Touch {
    fn new(time: Timestamp, grade: Grade, field_count: usize, source_count: usize) -> Touch {
        Touch {
            first: time,
            last: time,
            count: 0,
            fields: FixedBitSet::with_capacity(field_count),
            // Empty until an assumed view shows a field (most touches never have one).
            assumed: FixedBitSet::new(),
            sources: FixedBitSet::with_capacity(source_count),
            grade,
        }
    }

    /// Fields shown by an access: `assumed` when its view was assumed. A field stays assumed only while no
    /// other access showed it.
    pub fn show(&mut self, fields: &[FieldId], assumed: bool) {
        for f in fields {
            if assumed {
                if !self.fields.contains(*f) {
                    self.assumed.grow(f + 1);
                    self.assumed.insert(*f);
                }
            } else if *f < self.assumed.len() {
                self.assumed.set(*f, false);
            }
            self.fields.grow(f + 1);
            self.fields.insert(*f);
        }
    }

    /// The fields some access showed without an assumption.
    pub fn confirmed(&self) -> FixedBitSet {
        let mut c = self.fields.clone();
        c.difference_with(&self.assumed);
        c
    }

    pub fn merge(&mut self, other: &Touch) {
        self.first = self.first.min(other.first);
        self.last = self.last.max(other.last);
        self.count += other.count;
        if self.assumed.is_clear() && other.assumed.is_clear() {
            self.fields.union_with(&other.fields);
        } else {
            let mut confirmed = self.confirmed();
            confirmed.union_with(&other.confirmed());
            self.fields.union_with(&other.fields);
            self.assumed.union_with(&other.assumed);
            self.assumed.difference_with(&confirmed);
        }
        self.sources.union_with(&other.sources);
        self.grade = self.grade.max(other.grade);
    }
}

/// Which views of one source were declared and which assumed, as applied to the actors' accesses.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ViewUse {
    /// Declared views and store attributes applied (`[logs.views] customers`) → accesses.
    pub declared: BTreeMap<String, u64>,
    /// Built-in defaults applied → per table, accesses.
    pub assumed: BTreeMap<DefaultView, BTreeMap<TableId, u64>>,
    /// Fields shown under an assumed view.
    #[serde(with = "bits")]
    pub assumed_fields: FixedBitSet,
}

impl ViewUse {
    fn applied(&mut self, from: &FieldsFrom, tables: &[TableId], fields: &[FieldId]) {
        match from {
            FieldsFrom::Given => {}
            FieldsFrom::Declared(key) => *self.declared.entry(key.clone()).or_default() += 1,
            FieldsFrom::Assumed(default) => {
                let per_table = self.assumed.entry(*default).or_default();
                for t in tables {
                    *per_table.entry(*t).or_default() += 1;
                }
                for f in fields {
                    self.assumed_fields.grow(f + 1);
                    self.assumed_fields.insert(*f);
                }
            }
        }
    }
}

/// Records counted, with where the first few are (file, line).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Lines {
    pub count: u64,
    pub first: Vec<(String, u64)>,
}

impl Lines {
    /// How many places are kept.
    pub const KEPT: usize = 5;

    fn add(&mut self, file: &str, line: u64) {
        self.count += 1;
        if self.first.len() < Self::KEPT {
            self.first.push((file.to_string(), line));
        }
    }
}

/// A source's records that may be the actors' and whose content the analysis could not use: a statement
/// that something was NOT exposed cannot rest on them.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Unaccounted {
    /// Rejected records whose account is an actor's (per actor).
    pub rejected_of_actor: BTreeMap<String, Lines>,
    /// Rejected records whose account could not be read.
    pub rejected_unknown: Lines,
    /// Rejected records of other accounts (counted only).
    pub rejected_of_others: u64,
    /// Successful accesses in the window without an account (web `-`) that reached case data.
    pub without_account: Lines,
    /// The fields they showed, where known.
    #[serde(with = "bits")]
    pub without_account_fields: FixedBitSet,
    /// Some of them returned fields the log does not show.
    pub without_account_unknown_fields: bool,
    /// Records without an account a parser counted without reading (their content is unknown).
    pub without_account_unread: u64,
}


/// A set of field (or source) numbers stored as its length and the numbers in it (parts, see
/// `stages/merge.rs`).
pub mod bits {
    use fixedbitset::FixedBitSet;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    struct Stored {
        len: usize,
        ones: Vec<usize>,
    }

    pub fn serialize<S: Serializer>(set: &FixedBitSet, s: S) -> Result<S::Ok, S::Error> {
        Stored { len: set.len(), ones: set.ones().collect() }.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<FixedBitSet, D::Error> {
        let stored = Stored::deserialize(d)?;
        let mut set = FixedBitSet::with_capacity(stored.len);
        for i in stored.ones {
            if i >= stored.len {
                return Err(serde::de::Error::custom(format!("bit {i} outside a set of {}", stored.len)));
            }
            set.insert(i);
        }
        Ok(set)
    }
}

/// The longest record key read (bytes): longer is not a key but a broken or hostile line (a 60 MB request
/// path), rejected rather than carried into the outputs.
pub const MAX_KEY_BYTES: usize = 1024;

/// Why an event was not used: ignored (counted by reason), or rejected (to the rejects file).
#[derive(Clone, Debug, PartialEq)]
pub enum Unused {
    Ignored(IgnoreReason),
    Rejected(String),
}

impl From<IgnoreReason> for Unused {
    fn from(reason: IgnoreReason) -> Self {
        Unused::Ignored(reason)
    }
}

/// Record counts for one input file. `read = used + ignored + rejected`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct FileCounts {
    pub source: String,
    pub path: String,
    pub format: String,
    pub read: u64,
    pub used: u64,
    pub ignored: u64,
    pub rejected: u64,
    pub ignored_by_reason: BTreeMap<String, u64>,
    /// Records the format's parser read as access events (any account, used or not): 0 means the file held
    /// no record of its format (a digest file matched by the glob, a log without audit records).
    pub events: u64,
    /// SHA-256 (hex) and size of the file's bytes on disk, taken while reading it (for the manifest).
    #[serde(skip)]
    pub digest: Option<(String, u64)>,
}

impl FileCounts {
    /// Adds the counts of the next byte range of the same file (the digest is left as it is).
    pub fn add_range(&mut self, next: FileCounts) {
        self.read += next.read;
        self.used += next.used;
        self.ignored += next.ignored;
        self.rejected += next.rejected;
        self.events += next.events;
        for (reason, n) in next.ignored_by_reason {
            *self.ignored_by_reason.entry(reason).or_default() += n;
        }
    }

    pub fn reconciles(&self) -> bool {
        self.read == self.used + self.ignored + self.rejected && self.ignored == self.ignored_by_reason.values().sum::<u64>()
    }

    fn ignore(&mut self, reason: &IgnoreReason) {
        self.ignore_many(reason, 1);
    }

    fn ignore_many(&mut self, reason: &IgnoreReason, n: u64) {
        if n == 0 {
            return;
        }
        let reason = reason.as_str();
        self.ignored += n;
        match self.ignored_by_reason.get_mut(reason) {
            Some(count) => *count += n,
            None => {
                self.ignored_by_reason.insert(reason.to_string(), n);
            }
        }
    }
}

/// An actor's event whose records cannot be named from the log.
#[derive(Clone, Debug, Serialize)]
pub struct UnresolvedQuery {
    #[serde(flatten)]
    pub origin: EventOrigin,
    pub statement: String,
    pub reason: String,
    /// Columns the statement returned, where known; `None`: unknown (could be any).
    pub fields: Option<Vec<String>>,
}

/// An actor's read of a whole table with no filter.
#[derive(Clone, Debug, Serialize)]
pub struct TableAccess {
    #[serde(flatten)]
    pub origin: EventOrigin,
    pub tables: Vec<String>,
    pub fields: Vec<String>,
    pub statement: String,
    /// Rows of each table at analysis time (what the read may have returned).
    pub rows: BTreeMap<String, u64>,
    #[serde(skip)]
    pub table_ids: Vec<TableId>,
    #[serde(skip)]
    pub field_ids: Vec<FieldId>,
    /// The fields come from an assumed view (a DynamoDB `Scan` or MongoDB read without a projection).
    pub fields_assumed: bool,
}

#[derive(Debug, Default)]
pub struct Collected {
    /// Per case table: key → touch (hashed with foldhash, as resolve's own maps: resolve looks up every
    /// row it hands over, and std's SipHash stood out in its profile).
    pub touched: Vec<foldhash::HashMap<String, Touch>>,
    pub files: Vec<FileCounts>,
    pub unresolved_queries: Vec<UnresolvedQuery>,
    pub table_accesses: Vec<TableAccess>,
    /// Field names the logs gave that are not case columns → how often.
    pub unknown_fields: BTreeMap<String, u64>,
    /// Request paths of the actors' successful requests that matched no route → how often.
    pub unmatched_paths: BTreeMap<String, u64>,
    /// Actions of the actors' audit rows that neither `[logs.actions]` nor the vocabulary knows (read as
    /// reads) → how often.
    pub unknown_actions: BTreeMap<String, u64>,
    /// Tables (collections, record types) that are not case tables, as the logs name them → the actors' events
    /// that read them and no case table (a missing `[logs.tables]` line shows here).
    pub other_tables: BTreeMap<String, u64>,
    pub actor_events: BTreeMap<String, u64>,
    /// Columns that whole-table reads and unresolved accesses may have returned (rows unknown).
    pub possibly_exposed: FixedBitSet,
    /// Unresolved accesses whose returned columns are unknown: no class can be ruled out while any exist.
    pub unresolved_without_fields: u64,
    /// Queries to re-run against the case's tables (see `stages::replay`).
    pub replays: Vec<PendingReplay>,
    pub field_count: usize,
    pub source_count: usize,
    /// Every source's rhythm, blind spots and the actors' event times (see `coverage`).
    pub coverage: crate::coverage::recorder::CoverageRecorder,
    /// UTC day (`YYYY-MM-DD`) → the actors' events used that day.
    pub events_per_day: BTreeMap<String, u64>,
    /// Successful events of the actors after `disabled_at` (in or outside the window).
    pub after_disabled: Vec<PostDisableAccess>,
    /// Failed attempts of the actors after `disabled_at` (expected once the account is off).
    pub failed_after_disabled: u64,
    /// Per case table: how its keys are compared; touched keys are stored in that canonical form.
    pub key_types: Vec<crate::read::keys::KeyType>,
    /// Per source: the declared and assumed views applied to the actors' accesses.
    pub views: Vec<ViewUse>,
    /// Per source: records that may be the actors' and could not be used (rejected, without an account).
    pub unaccounted: Vec<Unaccounted>,
    /// Every record of each actor the logs hold, used or not (failed, outside the window...), rejected
    /// ones included where the account could be read: an actor missing here appears in no log.
    pub actor_records: BTreeMap<String, u64>,
    /// The actors' rejected records, per actor and source.
    pub actor_rejects: Vec<ActorRejects>,
    /// Records of other accounts whose names are near an actor's (`K.Walsh` → `k.walsh`; see
    /// [`crate::read::near`]).
    pub near_accounts: BTreeMap<String, u64>,
    /// Records of near-named accounts met one by one, in the order first met (capped as
    /// [`crate::read::near::NearCounts`] caps them); moved into `near_accounts` by [`Collected::finish`].
    pub near_met: Vec<(String, u64)>,
}

/// An actor's records that one source rejected (its account could be read, not the rest).
#[derive(Clone, Debug, Serialize)]
pub struct ActorRejects {
    pub actor: String,
    pub source: String,
    #[serde(skip)]
    pub source_index: usize,
    pub records: u64,
    /// Of those, rejected because their time has no zone.
    pub missing_zone: u64,
    /// The first: `file:line: reason`.
    pub first: String,
}

/// A successful access by an actor after the account was disabled: containment failed.
#[derive(Clone, Debug, Serialize)]
pub struct PostDisableAccess {
    #[serde(flatten)]
    pub origin: EventOrigin,
    pub request: String,
}

/// An actor's query waiting to be replayed, with where it came from.
#[derive(Clone, Debug)]
pub struct PendingReplay {
    pub query: ReplayQuery,
    pub origin: EventOrigin,
}

impl Collected {
    /// Nothing collected yet, sized for the case's tables, fields and sources.
    pub fn new(case: &Case) -> Collected {
        let field_count = case.schema.field_count();
        Collected {
            touched: vec![foldhash::HashMap::default(); case.schema.tables.len()],
            possibly_exposed: FixedBitSet::with_capacity(field_count),
            field_count,
            source_count: case.logs.len(),
            coverage: crate::coverage::recorder::CoverageRecorder::new(case),
            key_types: case.schema.tables.iter().map(|t| t.key_type).collect(),
            views: vec![ViewUse::default(); case.logs.len()],
            unaccounted: vec![Unaccounted::default(); case.logs.len()],
            ..Default::default()
        }
    }

    /// Records that `keys` of `table` were shown with `fields` at `time` by source `source_index`.
    pub fn touch(&mut self, table: TableId, keys: &[String], fields: &[FieldId], grade: Grade, time: Timestamp, source_index: usize) {
        self.touch_viewed(table, keys, fields, false, grade, time, source_index);
    }

    /// As [`Collected::touch`]; `assumed`: the fields come from an assumed view.
    #[allow(clippy::too_many_arguments)]
    pub fn touch_viewed(&mut self, table: TableId, keys: &[String], fields: &[FieldId], assumed: bool, grade: Grade, time: Timestamp, source_index: usize) {
        let (field_count, source_count) = (self.field_count, self.source_count);
        let key_type = self.key_types.get(table).copied().unwrap_or_default();
        let map = &mut self.touched[table];
        let mut touch = |key: std::borrow::Cow<'_, str>| {
            // A key already touched is found without a copy of it made (most accesses are of records seen before).
            let t = match map.get_mut(key.as_ref()) {
                Some(t) => t,
                None => map.entry(key.into_owned()).or_insert_with(|| Touch::new(time, grade, field_count, source_count)),
            };
            t.first = t.first.min(time);
            t.last = t.last.max(time);
            t.count += 1;
            t.grade = t.grade.max(grade);
            t.show(fields, assumed);
            t.sources.insert(source_index);
        };
        if let [key] = keys {
            // One key (most accesses): nothing to sort or repeat.
            touch(key_type.canonical(key));
            return;
        }
        let mut seen: Vec<std::borrow::Cow<'_, str>> = keys.iter().map(|k| key_type.canonical(k)).collect();
        seen.sort();
        seen.dedup();
        seen.into_iter().for_each(touch);
    }

    /// An access whose rows the log cannot show.
    pub fn add_unresolved(&mut self, query: UnresolvedQuery, fields: Option<&[FieldId]>) {
        match fields {
            Some(fields) => fields.iter().for_each(|f| self.possibly_exposed.insert(*f)),
            None => self.unresolved_without_fields += 1,
        }
        self.unresolved_queries.push(query);
    }
}

/// Where collect sends each rejected record, as it comes (the output layer's rejects file).
pub trait RejectSink {
    fn reject(&mut self, file: &str, rejection: &Rejection) -> Result<()>;
}

/// Rejections kept in memory with their file (library callers and tests).
impl RejectSink for Vec<(String, Rejection)> {
    fn reject(&mut self, file: &str, rejection: &Rejection) -> Result<()> {
        self.push((file.to_string(), rejection.clone()));
        Ok(())
    }
}


/// One event of a case log, as [`read_logs`] hands it to its visitor.
pub struct LogEvent<'a> {
    /// Index into the case's logs.
    pub source_index: usize,
    pub log: &'a LogSpec,
    /// The file, as shown in outputs.
    pub file: &'a str,
    /// Running index of the file among all files read.
    pub file_index: usize,
    pub interpreter: &'a Interpreter<'a>,
    /// The format the file is read in (its SQL is parsed in that format's dialect).
    pub format: crate::ingest::event::Format,
    pub event: &'a RawEvent,
    /// The record's place in a file whose records share lines (CloudTrail Records files).
    pub place: Option<&'a RecordPlace>,
}

/// What [`read_logs_with`] calls for each file and record.
pub trait LogVisitor {
    /// A new file starts (`file_index` counts files across all logs).
    fn begin_file(&mut self, _source_index: usize, _file_index: usize, _file: &str) {}
    /// A file (or the byte range of one) is read whole; `counts` are its record counts.
    fn end_file(&mut self, _counts: &FileCounts) -> Result<()> {
        Ok(())
    }
    /// A record that could not be read.
    fn rejected(&mut self, file_index: usize, file: &str, rejection: &Rejection) -> Result<()>;
    /// An event: `Ok(())` when used, `Err(reason)` when ignored.
    fn event(&mut self, event: &LogEvent<'_>) -> std::result::Result<(), Unused>;
    /// When only these accounts' events are used (in this window), parsers may count other accounts'
    /// records instead of handing them over one by one: they then reach [`LogVisitor::other_accounts`]
    /// (see [`ingest::prefilter`]).
    fn only_accounts(&self) -> Option<AccountsOfInterest<'_>> {
        None
    }
    /// Other accounts' records counted by a parser (only when [`LogVisitor::only_accounts`] gave some);
    /// their read and ignored counts are already taken.
    fn other_accounts(&mut self, _file_index: usize, _tally: &OtherAccountsTally) {
        assert!(self.only_accounts().is_some(), "a parser counted other accounts' records for a reader that wants every event");
    }
}

/// Reads every file of every log of the case. Rejected records go to `on_rejected`; each event goes to
/// `visit`, which returns `Ok(())` when it used the event or `Err(reason)` when it ignores it. Returns the
/// record counts per file (read = used + ignored + rejected).
pub fn read_logs(
    case: &Case,
    ui: &Ui,
    on_rejected: impl FnMut(&str, &Rejection) -> Result<()>,
    visit: impl FnMut(&LogEvent<'_>) -> std::result::Result<(), Unused>,
) -> Result<Vec<FileCounts>> {
    read_logs_of(case, ui, &Reading::default(), on_rejected, visit)
}

/// As [`read_logs`], reading the files `reading` says, the way it says.
pub fn read_logs_of(
    case: &Case,
    ui: &Ui,
    reading: &Reading<'_>,
    on_rejected: impl FnMut(&str, &Rejection) -> Result<()>,
    visit: impl FnMut(&LogEvent<'_>) -> std::result::Result<(), Unused>,
) -> Result<Vec<FileCounts>> {
    struct Closures<R, V>(R, V);
    impl<R, V> LogVisitor for Closures<R, V>
    where
        R: FnMut(&str, &Rejection) -> Result<()>,
        V: FnMut(&LogEvent<'_>) -> std::result::Result<(), Unused>,
    {
        fn rejected(&mut self, _: usize, file: &str, r: &Rejection) -> Result<()> {
            (self.0)(file, r)
        }
        fn event(&mut self, e: &LogEvent<'_>) -> std::result::Result<(), Unused> {
            (self.1)(e)
        }
    }
    read_logs_in(case, ui, &mut Closures(on_rejected, visit), reading)
}

/// Which of the case's files to read, and how: all of them from their paths by default.
#[derive(Default)]
pub struct Reading<'a> {
    /// Indexes, in the case's file order (every file of the first log, then of the second...), of the files
    /// to read; `None`: all.
    pub only: Option<Vec<usize>>,
    /// Files shown in outputs under another name than their path's (a file's bytes taken from stdin into a
    /// temporary file are shown as the case's file).
    pub shown_as: BTreeMap<usize, String>,
    /// One file read in a byte range (its index, its bytes).
    pub range: Option<(usize, &'a ingest::files::RangeBytes)>,
}

/// Every file of the case, in the case's order: (index of its log, path).
pub fn case_files(case: &Case) -> Vec<(usize, &std::path::Path)> {
    case.logs.iter().enumerate().flat_map(|(source, log)| log.files.iter().map(move |p| (source, p.as_path()))).collect()
}

/// As [`read_logs`], with a visitor that also sees where each file starts. Several files may be read at
/// once (see [`ingest::files`]); the visitor still sees them one after another in the case's order.
pub fn read_logs_with(case: &Case, ui: &Ui, visitor: &mut impl LogVisitor) -> Result<Vec<FileCounts>> {
    read_logs_in(case, ui, visitor, &Reading::default())
}

/// As [`read_logs_with`], reading the files `reading` says, the way it says.
pub fn read_logs_in(case: &Case, ui: &Ui, visitor: &mut impl LogVisitor, reading: &Reading<'_>) -> Result<Vec<FileCounts>> {
    // A mistake in a server format string is one error naming it, before anything is read.
    for (i, log) in case.logs.iter().enumerate() {
        if let Some(layout) = &log.log_format {
            crate::ingest::detect::check_log_format(log.format.as_deref(), layout, log.time_zone)
                .map_err(|m| crate::error::Error::input(&case.file, format!("[[logs]] #{} ({}): {m}", i + 1, log.name)))?;
        }
    }
    let settings: Vec<ParserSettings> = case
        .logs
        .iter()
        .map(|log| ParserSettings {
            log_line_prefix: log.log_line_prefix.clone(),
            map: log.map.clone(),
            time_zone: log.time_zone,
            users: log.users.clone(),
            log_format: log.log_format.clone(),
            window: case.window,
            record_path: log.record_path.clone(),
            query_history: log.query_history.clone(),
        })
        .collect();
    let interpreters: Vec<Interpreter> = case.logs.iter().map(|log| Interpreter::new(&case.schema, log).with_exports(&case.exports)).collect();
    // Each file's progress label: the file's name (the glob says nothing about which file is being read).
    let labels: Vec<Vec<String>> = case
        .logs
        .iter()
        .map(|log| log.files.iter().map(|p| p.file_name().map_or_else(|| p.display().to_string(), |n| n.to_string_lossy().into_owned())).collect())
        .collect();
    // Every file of every log, in the case's order, with the index of its log.
    let mut files = Vec::new();
    let mut sources = Vec::new();
    let mut shown = Vec::new();
    let mut case_index = 0;
    for (source_index, log) in case.logs.iter().enumerate() {
        for (path, label) in log.files.iter().zip(&labels[source_index]) {
            let index = case_index;
            case_index += 1;
            if reading.only.as_ref().is_some_and(|only| !only.contains(&index)) {
                continue;
            }
            let range = reading.range.filter(|(i, _)| *i == index).map(|(_, r)| r);
            files.push(LogFile { path, format: log.format.as_deref(), encoding: log.encoding, settings: &settings[source_index], label, range });
            sources.push(source_index);
            shown.push(reading.shown_as.get(&index).cloned());
        }
    }
    // The parsers' copy of the accounts the visitor wants, so that the visitor is free while they read.
    let interest = visitor.only_accounts().map(|a| (a.accounts.to_vec(), a.window));
    let interest = interest.as_ref().map(|(accounts, window)| AccountsOfInterest { accounts, window: *window });
    let mut done: Vec<FileCounts> = Vec::new();
    let mut current: Option<(FileCounts, String, crate::ingest::event::Format)> = None;
    ingest::files::read_in_order(&files, interest, ui, ingest::files::in_flight(), &mut |file_index, item| {
        let source_index = sources[file_index];
        let log = &case.logs[source_index];
        match item {
            FileItem::Start(format) => {
                let display = shown[file_index].clone().unwrap_or_else(|| crate::read::input::display_path(files[file_index].path, &case.dir));
                visitor.begin_file(source_index, file_index, &display);
                let counts = FileCounts { source: log.name.clone(), path: display.clone(), format: format.to_string(), ..Default::default() };
                current = Some((counts, display, format));
            }
            FileItem::Record(parsed) => {
                let (counts, display, format) = current.as_mut().expect("a file's records come after its start");
                let file = FileInRead { source_index, log, file: display, file_index, interpreter: &interpreters[source_index], format: *format };
                take_record(parsed, &file, counts, visitor)?;
            }
            FileItem::End(end) => {
                let digest = end?;
                let (mut counts, _, _) = current.take().expect("a file ends after its start");
                counts.digest = Some(digest);
                debug_assert!(counts.reconciles());
                visitor.end_file(&counts)?;
                done.push(counts);
            }
        }
        Ok(())
    })?;
    Ok(done)
}

/// The file a record comes from, as [`take_record`] needs it.
struct FileInRead<'a> {
    source_index: usize,
    log: &'a LogSpec,
    file: &'a str,
    file_index: usize,
    interpreter: &'a Interpreter<'a>,
    format: crate::ingest::event::Format,
}

/// Counts one record of a file and hands it to the visitor; an error when the visitor fails.
fn take_record(parsed: Parsed, f: &FileInRead<'_>, counts: &mut FileCounts, visitor: &mut impl LogVisitor) -> Result<()> {
    match parsed {
        Parsed::Rejected(r) => {
            counts.read += 1;
            counts.rejected += 1;
            visitor.rejected(f.file_index, f.file, &r)?;
        }
        Parsed::Ignored { reason, .. } => {
            counts.read += 1;
            counts.ignore(&reason);
        }
        Parsed::OtherAccounts(tally) => {
            counts.read += tally.records;
            counts.ignore_many(&IgnoreReason::NoAccount, tally.without_account);
            counts.ignore_many(&IgnoreReason::AnotherAccount, tally.records - tally.without_account);
            counts.events += tally.records;
            visitor.other_accounts(f.file_index, &tally);
        }
        Parsed::Event(event) => take_event(&event, None, f, counts, visitor)?,
        Parsed::EventAt(event, place) => take_event(&event, Some(&place), f, counts, visitor)?,
    }
    Ok(())
}

/// Counts one event of a file and hands it to the visitor.
fn take_event(event: &RawEvent, place: Option<&RecordPlace>, f: &FileInRead<'_>, counts: &mut FileCounts, visitor: &mut impl LogVisitor) -> Result<()> {
    counts.read += 1;
    counts.events += 1;
    let log_event = LogEvent {
        source_index: f.source_index,
        log: f.log,
        file: f.file,
        file_index: f.file_index,
        interpreter: f.interpreter,
        format: f.format,
        event,
        place,
    };
    match visitor.event(&log_event) {
        Ok(()) => counts.used += 1,
        Err(Unused::Ignored(reason)) => counts.ignore(&reason),
        Err(Unused::Rejected(reason)) => {
            counts.rejected += 1;
            let rejection = Rejection::new(event.line, 1, reason, event.payload.describe().as_bytes()).of_account(event.actor.as_deref());
            visitor.rejected(f.file_index, f.file, &rejection)?;
        }
    }
    Ok(())
}

/// Reads all logs of the case and gathers what the actors touched: each file into a [`Collected`] of its
/// own, merged in the case's file order (see `stages/merge.rs`; `analyze --parts` merges the same
/// values, read back from parts).
pub fn collect(case: &Case, ui: &Ui, rejects: &mut dyn RejectSink) -> Result<Collected> {
    let mut out = Collected::new(case);
    collect_each(case, ui, rejects, &Reading::default(), &mut |file| {
        out.merge(file, false);
        Ok(())
    })?;
    out.finish();
    Ok(out)
}

/// Reads the files `reading` names and hands each file's own [`Collected`] to `each_file` as the file
/// ends (its `files` holds the file's counts, with its digest). Rejected records go to `rejects` as they
/// come.
pub fn collect_each(
    case: &Case,
    ui: &Ui,
    rejects: &mut dyn RejectSink,
    reading: &Reading<'_>,
    each_file: &mut dyn FnMut(Collected) -> Result<()>,
) -> Result<()> {
    let mut visitor = CaseVisitor {
        case,
        actors: case.actors.iter().map(String::as_str).collect(),
        out: Collected::new(case),
        rejects,
        source: 0,
        near_names: NearNames::new(&case.actors),
        near: NearCounts::default(),
        each_file,
    };
    read_logs_in(case, ui, &mut visitor, reading)?;
    Ok(())
}

/// The analysis's visitor: coverage for every record, touches for the actors' events, gathered per file.
struct CaseVisitor<'a> {
    case: &'a Case,
    actors: HashSet<&'a str>,
    /// The current file's.
    out: Collected,
    rejects: &'a mut dyn RejectSink,
    /// The current file's source.
    source: usize,
    /// The actors' names, to count records of accounts named like them.
    near_names: NearNames,
    near: NearCounts,
    each_file: &'a mut dyn FnMut(Collected) -> Result<()>,
}

/// The current file's handle in its own coverage recording (one file each).
const COVERAGE_FILE: usize = 0;

impl CaseVisitor<'_> {
    /// Counts one record of `actor` (an actor of the case).
    fn actor_record(&mut self, actor: &str) {
        match self.out.actor_records.get_mut(actor) {
            Some(n) => *n += 1,
            None => {
                self.out.actor_records.insert(actor.to_string(), 1);
            }
        }
    }
}

impl LogVisitor for CaseVisitor<'_> {
    fn begin_file(&mut self, source_index: usize, _file_index: usize, file: &str) {
        self.out = Collected::new(self.case);
        self.near = NearCounts::default();
        let handle = self.out.coverage.begin_file(source_index, file);
        debug_assert_eq!(handle, COVERAGE_FILE);
        self.source = source_index;
    }

    fn end_file(&mut self, counts: &FileCounts) -> Result<()> {
        let mut file = std::mem::take(&mut self.out);
        file.files = vec![counts.clone()];
        file.near_met = self.near.take();
        (self.each_file)(file)
    }

    fn only_accounts(&self) -> Option<AccountsOfInterest<'_>> {
        Some(AccountsOfInterest { accounts: &self.case.actors, window: self.case.window })
    }

    fn other_accounts(&mut self, _file_index: usize, tally: &OtherAccountsTally) {
        self.out.coverage.other_accounts(COVERAGE_FILE, tally);
        self.out.unaccounted[self.source].without_account_unread += tally.without_account;
        for (account, n) in &tally.near {
            *self.out.near_accounts.entry(account.clone()).or_default() += n;
        }
    }

    fn rejected(&mut self, _file_index: usize, file: &str, rejection: &Rejection) -> Result<()> {
        let actor = rejection.actor.as_deref().filter(|a| self.actors.contains(a));
        self.out.coverage.rejected(COVERAGE_FILE, rejection.line, actor);
        // Whose the rejected record was, for the statement: an actor's, another account's, or unknown.
        let unaccounted = &mut self.out.unaccounted[self.source];
        match rejection.actor.as_deref() {
            Some(a) if self.actors.contains(a) => unaccounted.rejected_of_actor.entry(a.to_string()).or_default().add(file, rejection.line),
            Some(_) => unaccounted.rejected_of_others += 1,
            None => unaccounted.rejected_unknown.add(file, rejection.line),
        }
        // The actors' rejected records, per source, for the warning (with the fix when a zone is missing).
        if let Some(actor) = actor {
            self.actor_record(actor);
            let source_index = self.source;
            let out = &mut self.out;
            let entry = match out.actor_rejects.iter().position(|r| r.actor == actor && r.source_index == source_index) {
                Some(i) => &mut out.actor_rejects[i],
                None => {
                    out.actor_rejects.push(ActorRejects {
                        actor: actor.to_string(),
                        source: self.case.logs[source_index].name.clone(),
                        source_index,
                        records: 0,
                        missing_zone: 0,
                        first: format!("{file}:{}: {}", rejection.line, rejection.reason),
                    });
                    out.actor_rejects.last_mut().expect("just pushed")
                }
            };
            entry.records += 1;
            entry.missing_zone += u64::from(rejection.missing_zone());
        } else if let Some(account) = rejection.actor.as_deref() {
            self.near.note(&self.near_names, account);
        }
        self.rejects.reject(file, rejection)
    }

    fn event(&mut self, e: &LogEvent<'_>) -> std::result::Result<(), Unused> {
        self.out.coverage.event(COVERAGE_FILE, e.event, e.place);
        match e.event.actor.as_deref() {
            Some(a) if self.actors.contains(a) => self.actor_record(a),
            Some(a) => self.near.note(&self.near_names, a),
            None => {}
        }
        let ctx = EventContext { source_index: e.source_index, source: &e.log.name, file: e.file, format: e.format, place: e.place };
        consider(e.event, &self.actors, self.case, e.interpreter, &ctx, &mut self.out)
    }
}

struct EventContext<'a> {
    source_index: usize,
    source: &'a str,
    file: &'a str,
    format: crate::ingest::event::Format,
    place: Option<&'a RecordPlace>,
}

impl EventContext<'_> {
    fn origin(&self, event: &RawEvent, actor: &str) -> EventOrigin {
        EventOrigin {
            source: self.source.to_string(),
            source_index: self.source_index,
            file: self.file.to_string(),
            line: event.line,
            time: event.time,
            actor: actor.to_string(),
            record: self.place.cloned(),
        }
    }
}

/// Uses the event, or says why it is ignored.
fn consider(
    event: &RawEvent,
    actors: &HashSet<&str>,
    case: &Case,
    interpreter: &Interpreter<'_>,
    ctx: &EventContext<'_>,
    out: &mut Collected,
) -> std::result::Result<(), Unused> {
    let actor = match event.actor.as_deref() {
        None => {
            unattributed(event, case, interpreter, ctx, out);
            return Err(IgnoreReason::NoAccount.into());
        }
        Some(a) if !actors.contains(a) => return Err(IgnoreReason::AnotherAccount.into()),
        Some(a) => a,
    };
    if case.disabled_at.is_some_and(|d| event.time > d) {
        if event.failure.is_some() {
            out.failed_after_disabled += 1;
        } else {
            out.after_disabled.push(PostDisableAccess {
                origin: ctx.origin(event, actor),
                request: event.payload.describe(),
            });
        }
    }
    if !case.window.contains(&event.time) {
        return Err(IgnoreReason::OutsideWindow.into());
    }
    if event.failure.is_some() {
        return Err(IgnoreReason::FailedRequest.into());
    }
    *out.actor_events.entry(actor.to_string()).or_default() += 1;
    if let crate::ingest::event::Payload::Record { action: Some(action), .. } = &event.payload {
        if crate::evidence::record::action_kind(interpreter.log, action).is_none() {
            *out.unknown_actions.entry(action.clone()).or_default() += 1;
        }
    }
    let accesses = interpreter.interpret_as(&event.payload, Some(ctx.format));
    if let Some(len) = longest_key(&accesses).filter(|len| *len > MAX_KEY_BYTES) {
        return Err(Unused::Rejected(format!("a record key of {len} bytes (longer than {MAX_KEY_BYTES}): not a key but a broken or hostile line")));
    }
    let mut used = false;
    let mut first_reason = None;
    for access in accesses {
        match access {
            Access::Records(records) => {
                used = true;
                for rec in records {
                    for name in &rec.unknown_fields {
                        *out.unknown_fields.entry(format!("{}.{}", case.schema.tables[rec.table].name, name)).or_default() += 1;
                    }
                    out.views[ctx.source_index].applied(&rec.from, &[rec.table], &rec.fields);
                    out.touch_viewed(rec.table, &rec.keys, &rec.fields, rec.from.is_assumed(), rec.grade, event.time, ctx.source_index);
                }
            }
            Access::WholeTable { tables, fields, statement, from } => {
                used = true;
                out.views[ctx.source_index].applied(&from, &tables, &fields);
                out.table_accesses.push(TableAccess {
                    origin: ctx.origin(event, actor),
                    tables: tables.iter().map(|t| case.schema.tables[*t].name.clone()).collect(),
                    fields: fields.iter().map(|f| case.schema.field_names[*f].clone()).collect(),
                    statement,
                    rows: BTreeMap::new(),
                    table_ids: tables.clone(),
                    field_ids: fields.clone(),
                    fields_assumed: from.is_assumed(),
                });
            }
            Access::Unresolved { statement, reason, fields } => {
                used = true;
                let names = fields.as_ref().map(|f| f.iter().map(|f| case.schema.field_names[*f].clone()).collect());
                let query = UnresolvedQuery {
                    origin: ctx.origin(event, actor),
                    statement,
                    reason,
                    fields: names,
                };
                out.add_unresolved(query, fields.as_deref());
            }
            Access::Replay(query) => {
                used = true;
                let tables: Vec<TableId> = query.outputs.iter().map(|(t, _)| *t).collect();
                out.views[ctx.source_index].applied(&query.from, &tables, &query.fields);
                out.replays.push(PendingReplay {
                    query,
                    origin: ctx.origin(event, actor),
                });
            }
            Access::Aggregate => {
                first_reason.get_or_insert(IgnoreReason::Aggregate);
            }
            Access::NoRoute => {
                if let crate::ingest::event::Payload::Http { target, .. } | crate::ingest::event::Payload::Helpdesk { url: target, .. } = &event.payload {
                    let path = target.split('?').next().unwrap_or_default().to_string();
                    *out.unmatched_paths.entry(path).or_default() += 1;
                }
                first_reason.get_or_insert(IgnoreReason::NoRouteMatch);
            }
            Access::Nothing(reason) => {
                first_reason.get_or_insert(IgnoreReason::NothingExposed(reason));
            }
            Access::OtherTables(names) => {
                for name in names {
                    *out.other_tables.entry(name).or_default() += 1;
                }
                first_reason.get_or_insert(IgnoreReason::NothingExposed(crate::evidence::access::READS_NO_CASE_TABLE.into()));
            }
        }
    }
    if used {
        count_day(&mut out.events_per_day, &event.time);
        Ok(())
    } else {
        Err(first_reason.unwrap_or(IgnoreReason::NoAccess).into())
    }
}


/// Counts an event on its day (`YYYY-MM-DD`, UTC) in `per_day`. The day's text is made without a copy or
/// chrono's formatting for the days already counted (a formatted, copied day for every event was a tenth of
/// the main thread's work while the logs were read, perf).
fn count_day(per_day: &mut BTreeMap<String, u64>, time: &Timestamp) {
    use chrono::Datelike;
    let date = time.date_naive();
    let (year, month, day) = (date.year(), date.month(), date.day());
    if !(0..=9999).contains(&year) {
        // (chrono writes other years with a sign.)
        *per_day.entry(time.format("%Y-%m-%d").to_string()).or_default() += 1;
        return;
    }
    let digit = |n: u32| b'0' + n as u8;
    let year = year as u32;
    let text = [digit(year / 1000), digit(year / 100 % 10), digit(year / 10 % 10), digit(year % 10), b'-', digit(month / 10), digit(month % 10), b'-', digit(day / 10), digit(day % 10)];
    let text = std::str::from_utf8(&text).expect("ASCII digits");
    match per_day.get_mut(text) {
        Some(count) => *count += 1,
        None => {
            per_day.insert(text.to_string(), 1);
        }
    }
}

/// The longest key the accesses name, in bytes.
fn longest_key(accesses: &[Access]) -> Option<usize> {
    accesses
        .iter()
        .filter_map(|a| match a {
            Access::Records(records) => records.iter().flat_map(|r| r.keys.iter().map(String::len)).max(),
            _ => None,
        })
        .max()
}

/// An event without an account: when it succeeded inside the window and reached case data, whose it was is
/// unknown (it may be the actors'), so it is counted with the fields it showed.
fn unattributed(event: &RawEvent, case: &Case, interpreter: &Interpreter<'_>, ctx: &EventContext<'_>, out: &mut Collected) {
    if event.failure.is_some() || !case.window.contains(&event.time) {
        return;
    }
    let mut reached = false;
    let mut shown: Vec<FieldId> = Vec::new();
    let u = &mut out.unaccounted[ctx.source_index];
    for access in interpreter.interpret(&event.payload) {
        match access {
            Access::Records(records) => records.iter().for_each(|r| shown.extend(&r.fields)),
            Access::WholeTable { fields, .. } | Access::Unresolved { fields: Some(fields), .. } => shown.extend(fields),
            Access::Replay(q) => shown.extend(q.fields),
            Access::Unresolved { fields: None, .. } => u.without_account_unknown_fields = true,
            Access::Aggregate | Access::NoRoute | Access::Nothing(_) | Access::OtherTables(_) => continue,
        }
        reached = true;
    }
    for f in shown {
        u.without_account_fields.grow(f + 1);
        u.without_account_fields.insert(f);
    }
    if reached {
        u.without_account.add(ctx.file, event.line);
    }
}

/// Table id → touched key count, for the report.
pub fn touched_counts(collected: &Collected, case: &Case) -> BTreeMap<String, usize> {
    collected.touched.iter().enumerate().map(|(t, m): (TableId, _)| (case.schema.tables[t].name.clone(), m.len())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stages::testing;

    #[test]
    fn days_are_counted_as_chrono_writes_them() {
        let mut per_day = BTreeMap::new();
        for text in ["2019-06-03T10:00:00Z", "2019-06-03T23:59:59Z", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "1969-12-31T23:59:59Z"] {
            count_day(&mut per_day, &testing::t(text));
        }
        let far = chrono::DateTime::from_timestamp(300_000_000_000, 0).unwrap();
        count_day(&mut per_day, &far);
        let mut expected = BTreeMap::new();
        for time in ["2019-06-03T10:00:00Z", "2019-06-03T23:59:59Z", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "1969-12-31T23:59:59Z"].map(testing::t).into_iter().chain([far]) {
            *expected.entry(time.format("%Y-%m-%d").to_string()).or_insert(0u64) += 1;
        }
        assert_eq!(per_day, expected);
        assert_eq!(per_day.get("2019-06-03"), Some(&2));
    }

    fn quiet() -> Ui {
        Ui { quiet: true, color: false, progress: false }
    }

    #[test]
    fn keeps_the_actors_touches_inside_the_window_and_says_why_the_rest_is_left_out() {
        let dir = tempfile::tempdir().unwrap();
        let case = testing::case(dir.path());
        let mut rejects = Vec::new();
        let collected = collect(&case, &quiet(), &mut rejects).unwrap();

        let customers: Vec<&String> = collected.touched[0].keys().collect();
        assert_eq!(customers, vec!["C1"], "C3 was viewed before the window, C2 by another account");
        let c1 = &collected.touched[0]["C1"];
        let fields: Vec<&str> = c1.fields.ones().map(|f| case.schema.field_names[f].as_str()).collect();
        assert_eq!(fields, ["customers.full_name", "customers.email"]);
        assert_eq!(c1.first, testing::t("2019-06-03T10:00:00Z"));
        assert!(collected.touched[1].contains_key("T2"));

        let file = &collected.files[0];
        assert_eq!((file.read, file.used, file.ignored, file.rejected), (5, 2, 2, 1));
        assert!(file.reconciles());
        assert_eq!(file.ignored_by_reason.get("outside the case window"), Some(&1));
        assert_eq!(file.ignored_by_reason.get("another account"), Some(&1));
        assert_eq!(rejects.len(), 1);
        assert_eq!(rejects[0].1.line, 6);
        assert_eq!(collected.actor_events.get("k.walsh"), Some(&2));
    }

    #[test]
    fn a_field_stays_assumed_only_while_no_other_access_showed_it() {
        let t = testing::t("2019-06-03T10:00:00Z");
        let mut a = Touch::new(t, Grade::Named, 8, 1);
        a.show(&[1, 2], false);
        a.show(&[2, 3, 5], true);
        assert_eq!((a.fields.ones().collect::<Vec<_>>(), a.assumed.ones().collect::<Vec<_>>()), (vec![1, 2, 3, 5], vec![3, 5]));
        a.show(&[5], false);
        assert_eq!(a.assumed.ones().collect::<Vec<_>>(), vec![3]);
        // Merging (a ticket's touch into its customer's): a field one side confirmed is not assumed.
        let mut b = Touch::new(t, Grade::Named, 8, 1);
        b.show(&[3, 6], true);
        b.show(&[7], false);
        let mut merged = a.clone();
        merged.merge(&b);
        assert_eq!(merged.assumed.ones().collect::<Vec<_>>(), vec![3, 6]);
        let mut c = Touch::new(t, Grade::Named, 8, 1);
        c.show(&[3], false);
        merged.merge(&c);
        assert_eq!(merged.assumed.ones().collect::<Vec<_>>(), vec![6]);
        assert_eq!(merged.fields.ones().collect::<Vec<_>>(), vec![1, 2, 3, 5, 6, 7]);
        // The order of merging does not matter.
        let mut other_way = c.clone();
        other_way.merge(&b);
        other_way.merge(&a);
        assert_eq!(other_way.assumed, merged.assumed);
    }

    #[test]
    fn a_touch_keeps_the_first_and_last_time_and_every_field() {
        let dir = tempfile::tempdir().unwrap();
        let case = testing::case(dir.path());
        let mut collected = Collected::new(&case);
        let email = case.schema.field("customers.email").unwrap();
        let phone = case.schema.field("customers.phone").unwrap();
        collected.touch(0, &["C2".into()], &[email], Grade::Named, testing::t("2019-06-05T00:00:00Z"), 0);
        collected.touch(0, &["C2".into(), "C2".into()], &[phone], Grade::Replayed, testing::t("2019-06-02T00:00:00Z"), 0);
        let touch = &collected.touched[0]["C2"];
        assert_eq!((touch.first, touch.last), (testing::t("2019-06-02T00:00:00Z"), testing::t("2019-06-05T00:00:00Z")));
        assert_eq!(touch.count, 2, "a key named twice in one event counts once");
        assert_eq!(touch.fields.ones().collect::<Vec<_>>(), vec![email, phone]);
        assert_eq!(touch.grade, Grade::Named.max(Grade::Replayed));
    }
}
