//! Any CSV (or TSV) audit export with a header row, mapped column by column (`[logs.map]`).
//! Records may span lines (quoted newlines); rows with the wrong number of fields are rejected.

use std::collections::BTreeMap;
use std::io::BufRead;

use crate::read::csv_pieces;
use crate::read::line_scan::LineShape;
use crate::ingest::mapping;
use crate::ingest::mapping::{FieldMap, MappedValues};
use crate::ingest::prefilter::{AccountsOfInterest, OtherAccountsTally};
use crate::read::near::{NearCounts, NearNames};
use crate::read::timefmt::{UnixTime, UnixWindow};
use crate::read::pieces::{ChunkEnd, ChunkParser};
use crate::ingest::event::{Format, LogParser, Parsed, Rejection};

/// The accounts whose rows are read in full; other rows are counted (records of accounts near the
/// wanted ones by name too).
struct Prefilter {
    wanted: Vec<String>,
    /// The case window, its ends as unix times (other accounts' times are counted as such).
    window: UnixWindow,
    near: NearNames,
}

pub struct CsvParser {
    map: FieldMap,
    columns: Vec<String>,
    delimiter: u8,
    /// See [`CsvParser::only_accounts`].
    prefilter: Option<Prefilter>,
    /// The zone of times written without one (see [`crate::ingest::event::ParserSettings::time_zone`]).
    time_zone: Option<crate::read::timefmt::Zone>,
}

impl CsvParser {
    pub fn new(declared: &BTreeMap<String, String>, sample: &[u8]) -> Result<CsvParser, String> {
        let text = String::from_utf8_lossy(sample);
        let text = text.trim_start_matches('\u{feff}');
        let header_line = text.lines().next().ok_or("the log is empty (no header row)")?;
        let delimiter = if header_line.contains('\t') && !header_line.contains(',') { b'\t' } else { b',' };
        let mut reader = csv::ReaderBuilder::new().delimiter(delimiter).has_headers(false).from_reader(header_line.as_bytes());
        let header = reader
            .records()
            .next()
            .ok_or("the log is empty (no header row)")?
            .map_err(|e| format!("header row: {e}"))?;
        let columns: Vec<String> = header.iter().map(|c| c.trim().to_string()).collect();
        let map = FieldMap::resolve(declared, &columns)?;
        Ok(CsvParser { map, columns, delimiter, prefilter: None, time_zone: None })
    }

    /// Only the events of some accounts will be used: a row whose account cell (trimmed; empty and `-`
    /// mean none) is not one of them is only checked (field count, UTF-8, time) and counted in an
    /// [`OtherAccountsTally`]. Logs with a `query` column are always read in full (coverage looks at every
    /// statement).
    pub fn only_accounts(mut self, interest: AccountsOfInterest<'_>) -> Self {
        if self.map.query.is_none() {
            self.prefilter = Some(Prefilter { wanted: interest.accounts.to_vec(), window: interest.window.unix(), near: NearNames::new(interest.accounts) });
        }
        self
    }

    /// Reads times written without a zone in `zone` (`None`: they are rejected).
    pub fn in_zone(mut self, zone: Option<crate::read::timefmt::Zone>) -> Self {
        self.time_zone = zone;
        self
    }

    fn index(&self, column: &Option<String>) -> Option<usize> {
        column.as_ref().and_then(|c| self.columns.iter().position(|x| x == c))
    }
}

impl LogParser for CsvParser {
    fn format(&self) -> Format {
        Format::Csv
    }

    fn parse(&self, input: &mut dyn BufRead, sink: &mut dyn FnMut(Parsed)) -> std::io::Result<()> {
        csv_pieces::read_records(&mut LogRecords::new(self), input, true, None, sink).map(|_| ())
    }

    fn chunked(&self) -> Option<&dyn ChunkParser<Parsed>> {
        Some(self)
    }
}

impl ChunkParser<Parsed> for CsvParser {
    fn parse_chunk(&self, own: &[u8], lookahead: &[u8], first: bool, sink: &mut dyn FnMut(Parsed)) -> ChunkEnd {
        self.parse_chunk_counted(own, lookahead, first, sink).0
    }

    fn parse_chunk_counted(&self, own: &[u8], lookahead: &[u8], first: bool, sink: &mut dyn FnMut(Parsed)) -> (ChunkEnd, Option<u64>) {
        let mut records = LogRecords::new(self);
        // One UTF-8 check of the piece instead of one per cell (plain lines lie within `own`).
        records.piece = simdutf8::basic::from_utf8(own).ok();
        csv_pieces::parse_chunk(&mut records, own, lookahead, first, sink)
    }

    fn parse_rest(&self, input: &mut dyn BufRead, first: bool, sink: &mut dyn FnMut(Parsed)) -> std::io::Result<()> {
        csv_pieces::read_records(&mut LogRecords::new(self), input, first, None, sink).map(|_| ())
    }
}

/// What becomes of each record read, however it was split into fields.
struct LogRecords<'p> {
    parser: &'p CsvParser,
    time: usize,
    actor: usize,
    action: Option<usize>,
    table: Option<usize>,
    record: Option<usize>,
    fields: Option<usize>,
    status: Option<usize>,
    query: Option<usize>,
    tally: OtherAccountsTally,
    /// The piece being read, where it is valid UTF-8: its lines need no check of their own.
    piece: Option<&'p str>,
    /// Records of accounts near the wanted ones since the last flush.
    near: NearCounts,
}

impl<'p> LogRecords<'p> {
    fn new(parser: &'p CsvParser) -> Self {
        let idx = |c: &String| parser.columns.iter().position(|x| x == c).expect("mapped column is in the header");
        LogRecords {
            parser,
            time: idx(&parser.map.time),
            actor: idx(&parser.map.actor),
            action: parser.index(&parser.map.action),
            table: parser.index(&parser.map.table),
            record: parser.index(&parser.map.record),
            fields: parser.index(&parser.map.fields),
            status: parser.index(&parser.map.status),
            query: parser.index(&parser.map.query),
            tally: OtherAccountsTally::default(),
            piece: None,
            near: NearCounts::default(),
        }
    }

    /// Counts another account's well-formed record (`account`: its account, if any).
    #[inline]
    fn count_other(&mut self, time: UnixTime, account: Option<&str>, prefilter: &Prefilter, sink: &mut dyn FnMut(Parsed)) {
        self.tally.add(time, account.is_some(), &prefilter.window);
        if let Some(account) = account {
            self.near.note(&prefilter.near, account);
        }
        if self.tally.records >= OtherAccountsTally::FLUSH_AT {
            csv_pieces::RecordHandler::flush(self, sink);
        }
    }

    /// The time of a plain line that is another account's well-formed record, and its account (if it
    /// names one); `None` for any other line.
    fn other_account_time<'t>(&self, text: &'t [u8], shape: &LineShape, wanted: &[String]) -> Option<(UnixTime, Option<&'t str>)>
    where
        'p: 't,
    {
        // Splitting at an ASCII delimiter keeps every cell valid UTF-8 (and cuts at char boundaries) when
        // the line is.
        let text = csv_pieces::line_text(self.piece, text)?;
        let (cells, [time, actor]) = shape.cells(text.as_bytes(), self.parser.delimiter, [self.time, self.actor]);
        if cells != self.parser.columns.len() {
            return None;
        }
        let (time, actor) = (text.get(time)?, text.get(actor)?);
        let account = mapping::account_of(actor);
        if account.is_some_and(|a| wanted.iter().any(|w| w == a)) {
            return None;
        }
        // The forms nearly every export writes reckoned straight to a unix time; any other as any record's.
        let time = match crate::read::timefmt::parse_common_unix(time.as_bytes()) {
            Some(time) => time,
            None => UnixTime::of(&crate::read::timefmt::parse_any_in(time, self.parser.time_zone).ok()?),
        };
        Some((time, account))
    }
}

impl csv_pieces::RecordHandler for LogRecords<'_> {
    type Item = Parsed;

    fn delimiter(&self) -> u8 {
        self.parser.delimiter
    }

    /// A line without quotes or carriage returns, which is one record split at the delimiter. Another
    /// account's well-formed record is counted from its time and account cells alone; anything else (a
    /// wanted account, a wrong field count, invalid UTF-8, an unreadable time) is split and goes through
    /// [`RecordHandler::record`], which says what is wrong with it.
    fn plain_line(&mut self, text: &[u8], shape: &LineShape, line: u64, record: &mut csv::ByteRecord, sink: &mut dyn FnMut(Parsed)) {
        let parser = self.parser;
        if let Some(prefilter) = &parser.prefilter {
            if let Some((time, account)) = self.other_account_time(text, shape, &prefilter.wanted) {
                self.count_other(time, account, prefilter, sink);
                return;
            }
        }
        csv_pieces::split_plain_line(text, self.parser.delimiter, record);
        self.record(record, line, sink);
    }

    fn record(&mut self, record: &csv::ByteRecord, line: u64, sink: &mut dyn FnMut(Parsed)) {
        let columns = self.parser.columns.len();
        let raw = || raw_of(record, self.parser.delimiter);
        if record.len() != columns {
            let reason = format!("row has {} fields, the header has {}", record.len(), columns);
            sink(Parsed::Rejected(Rejection::new(line, record.len().min(columns) as u64 + 1, reason, &raw())));
            return;
        }
        if record.iter().all(|f| f.iter().all(u8::is_ascii_whitespace)) {
            sink(Parsed::ignored(line, "blank line"));
            return;
        }
        let ascii = record.as_slice().is_ascii();
        if let Some(field) = record.iter().position(|f| !ascii && std::str::from_utf8(f).is_err()) {
            let field = field as u64 + 1;
            sink(Parsed::Rejected(Rejection::new(line, field, format!("field {field} is not valid UTF-8"), &raw())));
            return;
        }
        // Every field is valid UTF-8 (checked just above).
        let text = |i: usize| std::str::from_utf8(&record[i]).expect("checked");
        let account = mapping::account_of(text(self.actor));
        let parser = self.parser;
        if let Some(prefilter) = parser.prefilter.as_ref().filter(|p| !account.is_some_and(|a| p.wanted.iter().any(|w| w == a))) {
            // As `mapping::to_event` reads the time and the account.
            match crate::read::timefmt::parse_any_in(text(self.time), self.parser.time_zone) {
                Ok(time) => self.count_other(UnixTime::of(&time), account, prefilter, sink),
                Err(e) => sink(Parsed::Rejected(Rejection::new(line, self.time as u64 + 1, format!("time: {e}"), &raw()).of_account(account))),
            }
            return;
        }
        let get = |i: Option<usize>| i.map(text);
        let values = MappedValues {
            time: text(self.time),
            actor: text(self.actor),
            action: get(self.action),
            table: get(self.table),
            record: get(self.record),
            fields: get(self.fields),
            status: get(self.status),
            query: get(self.query),
        };
        match mapping::to_event(line, &values, self.parser.time_zone) {
            Ok(ev) => sink(Parsed::Event(ev)),
            Err(reason) => sink(Parsed::Rejected(Rejection::new(line, self.time as u64 + 1, reason, &raw()).of_account(account))),
        }
    }

    fn unreadable(&mut self, line: u64, error: &csv::Error, sink: &mut dyn FnMut(Parsed)) {
        sink(Parsed::Rejected(Rejection::new(line, 0, error.to_string(), b"")));
    }

    /// Sends the other accounts' records counted so far.
    fn flush(&mut self, sink: &mut dyn FnMut(Parsed)) {
        if !self.tally.is_empty() {
            self.tally.add_near(self.near.take());
            sink(Parsed::OtherAccounts(Box::new(std::mem::take(&mut self.tally).finished())));
        }
    }
}

/// The record re-joined with its delimiter, for the rejects file.
fn raw_of(record: &csv::ByteRecord, delimiter: u8) -> Vec<u8> {
    let mut writer = csv::WriterBuilder::new().delimiter(delimiter).terminator(csv::Terminator::Any(b'\n')).from_writer(Vec::new());
    let _ = writer.write_byte_record(record);
    let mut out = writer.into_inner().unwrap_or_default();
    if out.last() == Some(&b'\n') {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::event::Payload;

    fn run(text: &str) -> Vec<Parsed> {
        let parser = CsvParser::new(&BTreeMap::new(), text.as_bytes()).unwrap();
        let mut out = Vec::new();
        parser.parse(&mut text.as_bytes(), &mut |p| out.push(p)).unwrap();
        out
    }

    #[test]
    fn quoted_multiline_record_keeps_its_start_line() {
        let out = run("event_time,user_name,entity,entity_id,fields_viewed\n2019-06-03T10:00:00Z,k.walsh,Customer,C1,\"email|\nphone\"\n2019-06-03T10:01:00Z,k.walsh,Customer,C2,email\n");
        assert_eq!(out.len(), 2);
        let Parsed::Event(ev) = &out[1] else { panic!("{out:?}") };
        assert_eq!(ev.line, 4);
        let Parsed::Event(ev) = &out[0] else { panic!() };
        assert_eq!(ev.line, 2);
        assert!(matches!(&ev.payload, Payload::Record { record: Some(r), .. } if r == "C1"));
    }

    /// The reader skips blank lines before a record; the record's line was once the first blank line's.
    #[test]
    fn a_record_after_blank_lines_has_its_own_line() {
        let out = run("time,user,record\n\n\r\n2019-06-03T10:00:00Z,a\r\n\n2019-06-03T10:00:00Z,a,\"C1\nC2\"\n\n2019-06-03T10:00:00Z,\"a\n");
        let lines: Vec<u64> = out.iter().map(|p| p.line().unwrap()).collect();
        assert_eq!(lines, [4, 6, 9], "{out:?}");
        assert!(matches!(&out[0], Parsed::Rejected(r) if r.reason.contains("2 fields")));
        // An open quote runs to the end of the input, newline included: still the line it starts on.
        assert!(matches!(&out[2], Parsed::Rejected(r) if r.reason.contains("2 fields")));
    }

    #[test]
    fn wrong_field_count_and_bad_time_are_rejected() {
        let out = run("time,user,record\n2019-06-03T10:00:00Z,a\n2019-06-03 10:00:00,a,C1\n");
        assert!(matches!(&out[0], Parsed::Rejected(r) if r.reason.contains("2 fields") && r.line == 2 && r.actor.is_none()));
        assert!(matches!(&out[1], Parsed::Rejected(r) if r.reason.contains("no time zone") && r.line == 3 && r.column == 1));
        // The account of a row whose time cannot be read is known (the actors' rejected records are counted).
        assert!(matches!(&out[1], Parsed::Rejected(r) if r.actor.as_deref() == Some("a") && r.missing_zone()));
    }
}
