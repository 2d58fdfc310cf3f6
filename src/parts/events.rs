//! A part's event table (`<part>.parquet`): one row per item of what collect gathered from the file that
//! grows with the actors' events: each touched record (`touch`), each unresolved query (`unresolved`),
//! whole-table read (`table_read`), query to replay (`replay`), access after the account was disabled
//! (`after_disabled`), and each event of an actor (`mark`, for the activity around log gaps). Columns:
//! `kind`, `table`, `key`, `source`, `file`, `line`, `time` (RFC 3339 UTC), `actor` for reading the part
//! with any Parquet tool, and `detail`, the row whole as JSON, which is what breachscope reads back.

use std::collections::HashMap;
use std::path::Path;

use fixedbitset::FixedBitSet;
use polars::prelude::{Column, DataFrame};
use polars_io::prelude::{ParquetReader, ParquetWriter};
use polars_io::SerReader;
use serde::{Deserialize, Serialize};

use crate::case::Case;
use crate::error::{Error, Result};
use crate::evidence::access::{Grade, ReplayQuery};
use crate::ingest::event::RecordPlace;
use crate::read::timefmt::{format_utc, Timestamp};
use crate::stages::collect::{bits, Collected, PendingReplay, PostDisableAccess, TableAccess, Touch, UnresolvedQuery};
use crate::stages::origin::EventOrigin;

/// Where an event came from, as stored (the source by its index in the case).
#[derive(Serialize, Deserialize)]
struct Origin {
    source: usize,
    file: String,
    line: u64,
    time: Timestamp,
    actor: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    record: Option<RecordPlace>,
}

impl Origin {
    fn of(o: &EventOrigin) -> Origin {
        Origin { source: o.source_index, file: o.file.clone(), line: o.line, time: o.time, actor: o.actor.clone(), record: o.record.clone() }
    }

    fn restore(self, case: &Case) -> Result<EventOrigin> {
        let log = case.logs.get(self.source).ok_or_else(|| Error::Usage(format!("a part names log #{} and the case has {}", self.source + 1, case.logs.len())))?;
        Ok(EventOrigin { source: log.name.clone(), source_index: self.source, file: self.file, line: self.line, time: self.time, actor: self.actor, record: self.record })
    }
}

/// One row's content.
#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Row {
    Touch {
        table: usize,
        key: String,
        first: Timestamp,
        last: Timestamp,
        count: u64,
        #[serde(with = "bits")]
        fields: FixedBitSet,
        #[serde(with = "bits")]
        assumed: FixedBitSet,
        #[serde(with = "bits")]
        sources: FixedBitSet,
        grade: Grade,
    },
    Unresolved {
        origin: Origin,
        statement: String,
        reason: String,
        fields: Option<Vec<String>>,
    },
    TableRead {
        origin: Origin,
        tables: Vec<String>,
        fields: Vec<String>,
        statement: String,
        table_ids: Vec<usize>,
        field_ids: Vec<usize>,
        fields_assumed: bool,
    },
    Replay {
        origin: Origin,
        query: ReplayQuery,
    },
    AfterDisabled {
        origin: Origin,
        request: String,
    },
    Mark {
        time: Timestamp,
        actor: String,
        line: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        record: Option<RecordPlace>,
    },
}

impl Row {
    fn kind(&self) -> &'static str {
        match self {
            Row::Touch { .. } => "touch",
            Row::Unresolved { .. } => "unresolved",
            Row::TableRead { .. } => "table_read",
            Row::Replay { .. } => "replay",
            Row::AfterDisabled { .. } => "after_disabled",
            Row::Mark { .. } => "mark",
        }
    }
}

/// The columns, filled row by row.
#[derive(Default)]
struct Columns {
    kind: Vec<&'static str>,
    table: Vec<Option<String>>,
    key: Vec<Option<String>>,
    source: Vec<Option<String>>,
    file: Vec<Option<String>>,
    line: Vec<Option<u64>>,
    time: Vec<Option<String>>,
    actor: Vec<Option<String>>,
    detail: Vec<String>,
}

impl Columns {
    fn push(&mut self, case: &Case, file: &str, row: &Row) {
        let (mut table, mut key, mut source, mut at, mut line, mut actor) = (None, None, None, None, None, None);
        let time;
        match row {
            Row::Touch { table: t, key: k, first, .. } => {
                table = Some(case.schema.tables[*t].name.clone());
                key = Some(k.clone());
                time = Some(format_utc(first));
            }
            Row::Unresolved { origin, .. } | Row::TableRead { origin, .. } | Row::Replay { origin, .. } | Row::AfterDisabled { origin, .. } => {
                source = case.logs.get(origin.source).map(|l| l.name.clone());
                at = Some(origin.file.clone());
                line = Some(origin.line);
                time = Some(format_utc(&origin.time));
                actor = Some(origin.actor.clone());
            }
            Row::Mark { time: t, actor: a, line: l, .. } => {
                at = Some(file.to_string());
                line = Some(*l);
                time = Some(format_utc(t));
                actor = Some(a.clone());
            }
        }
        self.kind.push(row.kind());
        self.table.push(table);
        self.key.push(key);
        self.source.push(source);
        self.file.push(at);
        self.line.push(line);
        self.time.push(time);
        self.actor.push(actor);
        self.detail.push(serde_json::to_string(row).expect("a part row serialises"));
    }
}

/// Moves the event lists out of `collected` (one file's) into Parquet written to `out` (`path`: for
/// messages). `file`: the file as shown in outputs. Returns the rows written.
pub fn write(case: &Case, file: &str, collected: &mut Collected, out: &mut dyn std::io::Write, path: &Path) -> Result<u64> {
    let mut columns = Columns::default();
    let mut touches: Vec<(usize, String, Touch)> = Vec::new();
    for (table, map) in collected.touched.iter_mut().enumerate() {
        touches.extend(map.drain().map(|(k, t)| (table, k, t)));
    }
    touches.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    for (table, key, t) in touches {
        let row = Row::Touch { table, key, first: t.first, last: t.last, count: t.count, fields: t.fields, assumed: t.assumed, sources: t.sources, grade: t.grade };
        columns.push(case, file, &row);
    }
    for q in std::mem::take(&mut collected.unresolved_queries) {
        let row = Row::Unresolved { origin: Origin::of(&q.origin), statement: q.statement, reason: q.reason, fields: q.fields };
        columns.push(case, file, &row);
    }
    for a in std::mem::take(&mut collected.table_accesses) {
        let row = Row::TableRead {
            origin: Origin::of(&a.origin),
            tables: a.tables,
            fields: a.fields,
            statement: a.statement,
            table_ids: a.table_ids,
            field_ids: a.field_ids,
            fields_assumed: a.fields_assumed,
        };
        columns.push(case, file, &row);
    }
    for r in std::mem::take(&mut collected.replays) {
        columns.push(case, file, &Row::Replay { origin: Origin::of(&r.origin), query: r.query });
    }
    for a in std::mem::take(&mut collected.after_disabled) {
        columns.push(case, file, &Row::AfterDisabled { origin: Origin::of(&a.origin), request: a.request });
    }
    let actors = collected.coverage.actors.clone();
    for m in std::mem::take(&mut collected.coverage.marks) {
        debug_assert_eq!(m.file, 0, "one file per part");
        let row = Row::Mark { time: m.time, actor: actors[m.actor as usize].clone(), line: m.line, record: m.record.map(|r| *r) };
        columns.push(case, file, &row);
    }
    let rows = columns.detail.len() as u64;
    let failed = |e: polars::prelude::PolarsError| Error::input(path, format!("cannot write the part's events as Parquet: {}", crate::read::parquet::one_line(e)));
    let mut frame = DataFrame::new_infer_height(vec![
        Column::new("kind".into(), columns.kind),
        Column::new("table".into(), columns.table),
        Column::new("key".into(), columns.key),
        Column::new("source".into(), columns.source),
        Column::new("file".into(), columns.file),
        Column::new("line".into(), columns.line),
        Column::new("time".into(), columns.time),
        Column::new("actor".into(), columns.actor),
        Column::new("detail".into(), columns.detail),
    ])
    .map_err(failed)?;
    ParquetWriter::new(out).finish(&mut frame).map_err(failed)?;
    Ok(rows)
}

/// Reads a part's event table back into `collected` (one file's, whose coverage holds that one file).
pub fn read(case: &Case, path: &Path, collected: &mut Collected) -> Result<u64> {
    let bad = |m: String| Error::input(path, format!("not a breachscope part's event table ({m}): was the part written completely? Scan the file again"));
    let file = std::fs::File::open(path).map_err(|source| Error::Read { path: path.to_path_buf(), source })?;
    let frame = ParquetReader::new(file).finish().map_err(|e| bad(crate::read::parquet::one_line(e)))?;
    let detail = frame.column("detail").map_err(|e| bad(crate::read::parquet::one_line(e)))?;
    let detail = detail.str().map_err(|e| bad(crate::read::parquet::one_line(e)))?;
    let actors: HashMap<&str, u32> = collected.coverage.actors.iter().enumerate().map(|(i, a)| (a.as_str(), i as u32)).collect();
    let mut marks = Vec::new();
    let mut rows = 0u64;
    for (i, text) in detail.iter().enumerate() {
        let text = text.ok_or_else(|| bad(format!("row {} has no detail", i + 1)))?;
        let row: Row = serde_json::from_str(text).map_err(|e| bad(format!("row {}: {e}", i + 1)))?;
        rows += 1;
        match row {
            Row::Touch { table, key, first, last, count, fields, assumed, sources, grade } => {
                let map = collected.touched.get_mut(table).ok_or_else(|| bad(format!("row {}: table #{table} is not in the case", i + 1)))?;
                map.insert(key, Touch { first, last, count, fields, assumed, sources, grade });
            }
            Row::Unresolved { origin, statement, reason, fields } => {
                collected.unresolved_queries.push(UnresolvedQuery { origin: origin.restore(case)?, statement, reason, fields });
            }
            Row::TableRead { origin, tables, fields, statement, table_ids, field_ids, fields_assumed } => collected.table_accesses.push(TableAccess {
                origin: origin.restore(case)?,
                tables,
                fields,
                statement,
                rows: Default::default(),
                table_ids,
                field_ids,
                fields_assumed,
            }),
            Row::Replay { origin, query } => collected.replays.push(PendingReplay { query, origin: origin.restore(case)? }),
            Row::AfterDisabled { origin, request } => collected.after_disabled.push(PostDisableAccess { origin: origin.restore(case)?, request }),
            Row::Mark { time, actor, line, record } => {
                let actor = *actors.get(actor.as_str()).ok_or_else(|| bad(format!("row {}: {actor} is not an actor of the case", i + 1)))?;
                marks.push(crate::coverage::recorder::ActorMark { time, file: 0, actor, line, record: record.map(Box::new) });
            }
        }
    }
    collected.coverage.marks = marks;
    Ok(rows)
}
