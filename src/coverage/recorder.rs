//! Recording, while `stages::collect` reads: per source an hourly histogram of all events (every
//! account: this is about the log's own rhythm), per file the first and last event and events per day,
//! the blind spots of each record, and the times of the actors' events.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::case::Case;
use crate::coverage::blind::{BlindKind, BlindSpot, LineRef};
use crate::coverage::histogram::HourlyHistogram;
use crate::ingest::event::{RawEvent, RecordPlace};
use crate::ingest::prefilter::{HourTallies, OtherAccountsTally};
use crate::read::timefmt::{Timestamp, Window};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct FileRecord {
    pub(crate) source: usize,
    pub(crate) path: String,
    pub(crate) events: u64,
    pub(crate) first: Option<Timestamp>,
    pub(crate) last: Option<Timestamp>,
    pub(crate) per_day: BTreeMap<NaiveDate, u64>,
    /// Other accounts' records per hour, from parsers' tallies, not yet in `per_day`, `first`, `last` and
    /// the source's histogram (see [`CoverageRecorder::settled`]): merging into a hash map per tally is
    /// cheaper than into the ordered maps. Settled before a part is written, so not stored.
    #[serde(skip)]
    pub(crate) pending_hours: HourTallies,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct SourceRecord {
    pub(crate) hist: HourlyHistogram,
    /// Events inside the case's window (every account).
    pub(crate) in_window: u64,
    pub(crate) blind: Vec<BlindSpot>,
}

/// An event of one of the case's actors (any time, any outcome): for "activity around a gap".
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct ActorMark {
    pub(crate) time: Timestamp,
    pub(crate) file: u32,
    pub(crate) actor: u32,
    pub(crate) line: u64,
    /// The record's place in a file whose records share lines.
    pub(crate) record: Option<Box<RecordPlace>>,
}

/// Fed by collect: one call per file, per event and per rejected record.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct CoverageRecorder {
    /// The case's (not stored in a part: see [`CoverageRecorder::restore`]).
    #[serde(skip)]
    pub(crate) actors: Vec<String>,
    #[serde(skip)]
    pub(crate) window: Window,
    pub(crate) sources: Vec<SourceRecord>,
    pub(crate) files: Vec<FileRecord>,
    pub(crate) marks: Vec<ActorMark>,
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
        self.files.push(FileRecord { source, path: path.to_string(), events: 0, first: None, last: None, per_day: BTreeMap::new(), pending_hours: HourTallies::default() });
        self.files.len() - 1
    }

    /// A rejected record; `actor`: the case's actor whose record it is, where the parser could read the
    /// account (its time is unknown).
    pub fn rejected(&mut self, file: usize, line: u64, actor: Option<&str>) {
        let f = &self.files[file];
        let line = actor.map(|a| LineRef { file: f.path.clone(), line, record: None, time: String::new(), actor: a.to_string() });
        self.sources[f.source].blind[BlindKind::Rejected.index()].add(line);
    }

    /// Other accounts' records counted by a parser: as many [`CoverageRecorder::event`] calls for events
    /// with an empty payload (so no blind spot but a missing account, and no actor).
    pub fn other_accounts(&mut self, file: usize, tally: &OtherAccountsTally) {
        let f = &mut self.files[file];
        f.events += tally.records;
        f.pending_hours.merge(&tally.hours);
        let source = &mut self.sources[f.source];
        source.in_window += tally.in_window;
        source.blind[BlindKind::NoAccount.index()].add_records(tally.without_account);
    }

    /// The recording with every tallied hour in place.
    pub fn settled(&self) -> CoverageRecorder {
        let mut rec = self.clone();
        for f in &mut rec.files {
            let source = &mut rec.sources[f.source];
            for (hour, cell) in std::mem::take(&mut f.pending_hours).iter() {
                f.first = Some(f.first.map_or(cell.first, |t| t.min(cell.first)));
                f.last = Some(f.last.map_or(cell.last, |t| t.max(cell.last)));
                *f.per_day.entry(cell.first.date_naive()).or_default() += cell.count;
                source.hist.add_cell(hour, cell);
            }
        }
        rec
    }

    /// An event of `file`; `place`: the record's place in a file whose records share lines (CloudTrail).
    pub fn event(&mut self, file: usize, event: &RawEvent, place: Option<&RecordPlace>) {
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
            self.marks.push(ActorMark { time: event.time, file: file as u32, actor: a as u32, line: event.line, record: place.cloned().map(Box::new) });
        }
        let counted = actor.is_some() && self.window.contains(&event.time) && event.failure.is_none();
        for kind in crate::coverage::blind::classify(event) {
            let line = counted.then(|| LineRef {
                file: f.path.clone(),
                line: event.line,
                time: crate::read::timefmt::format_utc(&event.time),
                actor: event.actor.clone().unwrap_or_default(),
                record: place.cloned(),
            });
            source.blind[kind.index()].add(line);
        }
    }
}

impl FileRecord {
    /// Adds another byte range of the same file.
    fn merge(&mut self, other: FileRecord) {
        self.events += other.events;
        self.first = match (self.first, other.first) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.last = match (self.last, other.last) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        for (day, n) in other.per_day {
            *self.per_day.entry(day).or_default() += n;
        }
        self.pending_hours.merge(&other.pending_hours);
    }
}

impl CoverageRecorder {
    /// Adds what `other` recorded from the files read after this recording's (in the case's order): their
    /// files follow, the sources' histograms, counts and blind spots add up, the actors' marks follow.
    /// `same_file`: `other`'s first file is the next byte range of this recording's last file.
    pub fn merge(&mut self, other: CoverageRecorder, same_file: bool) {
        let same_file = same_file && !self.files.is_empty();
        let offset = if same_file { self.files.len() - 1 } else { self.files.len() };
        for (source, theirs) in self.sources.iter_mut().zip(other.sources) {
            source.hist.merge(&theirs.hist);
            source.in_window += theirs.in_window;
            for (spot, their_spot) in source.blind.iter_mut().zip(theirs.blind) {
                spot.merge(their_spot);
            }
        }
        let mut files = other.files.into_iter();
        if same_file {
            if let Some(first) = files.next() {
                self.files.last_mut().expect("same_file has a last file").merge(first);
            }
        }
        self.files.extend(files);
        self.marks.extend(other.marks.into_iter().map(|mut m| {
            m.file += offset as u32;
            m
        }));
    }

    /// Every tallied hour moved into place (as [`CoverageRecorder::settled`]), in place.
    pub fn settle(&mut self) {
        *self = self.settled();
    }

    /// Adds `lines` to every line number recorded (a byte range's lines, counted from its start, moved on
    /// to the file's).
    pub fn shift_lines(&mut self, lines: u64) {
        for m in &mut self.marks {
            m.line += lines;
        }
        for source in &mut self.sources {
            for spot in &mut source.blind {
                for l in &mut spot.actor_lines {
                    l.line += lines;
                }
            }
        }
    }

    /// After reading back from a part: what is not stored there (the blind spots' names, the window).
    pub fn restore(&mut self, case: &Case) {
        let blank = CoverageRecorder::new(case);
        self.window = blank.window;
        self.actors = blank.actors;
        for (source, fresh) in self.sources.iter_mut().zip(blank.sources) {
            for (spot, fresh) in source.blind.iter_mut().zip(fresh.blind) {
                spot.kind = fresh.kind;
                spot.description = fresh.description;
            }
        }
    }
}
