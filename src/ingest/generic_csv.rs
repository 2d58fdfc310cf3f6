//! Any CSV (or TSV) audit export with a header row, mapped column by column (`[logs.map]`).
//! Records may span lines (quoted newlines); rows with the wrong number of fields are rejected.

use std::collections::BTreeMap;
use std::io::BufRead;

use super::lines::NewlineTracking;
use super::mapping::{self, FieldMap, MappedValues};
use super::{Format, LogParser, Parsed, Rejection};

pub struct CsvParser {
    map: FieldMap,
    columns: Vec<String>,
    delimiter: u8,
    /// See [`CsvParser::only_accounts`].
    prefilter: Option<super::prefilter::AccountFilter>,
    /// The zone of times written without one (see [`super::ParserSettings::time_zone`]).
    time_zone: Option<chrono::FixedOffset>,
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

    /// Only the events of `accounts` will be used: a row whose bytes do not contain any of these names
    /// cannot be theirs, so it is read cheaply: its event carries the line, time, account and outcome, and
    /// its payload is left empty (`Record` with nothing named). Rows that contain a name (the account, a
    /// prefix-named colleague, the name inside another field) are read in full. Logs with a `query` column
    /// are always read in full (coverage looks at every statement).
    pub fn only_accounts(mut self, accounts: &[String]) -> Self {
        if self.map.query.is_none() {
            self.prefilter = super::prefilter::AccountFilter::new(accounts);
        }
        self
    }

    /// Reads times written without a zone in `zone` (`None`: they are rejected).
    pub fn in_zone(mut self, zone: Option<chrono::FixedOffset>) -> Self {
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
        let (tracked, lines) = NewlineTracking::new(input);
        let mut reader = csv::ReaderBuilder::new().delimiter(self.delimiter).has_headers(true).flexible(true).from_reader(tracked);
        let idx = |c: &String| self.columns.iter().position(|x| x == c).expect("mapped column is in the header");
        let (time_i, actor_i) = (idx(&self.map.time), idx(&self.map.actor));
        let action_i = self.index(&self.map.action);
        let table_i = self.index(&self.map.table);
        let record_i = self.index(&self.map.record);
        let fields_i = self.index(&self.map.fields);
        let status_i = self.index(&self.map.status);
        let query_i = self.index(&self.map.query);
        let mut record = csv::ByteRecord::new();
        loop {
            let start = reader.position().byte();
            match reader.read_byte_record(&mut record) {
                Ok(false) => return Ok(()),
                Ok(true) => {
                    let line = lines.line_at(record.position().map(|p| p.byte()).unwrap_or(start));
                    let raw = || raw_of(&record, self.delimiter);
                    if record.len() != self.columns.len() {
                        let reason = format!("row has {} fields, the header has {}", record.len(), self.columns.len());
                        sink(Parsed::Rejected(Rejection::new(line, record.len().min(self.columns.len()) as u64 + 1, reason, &raw())));
                        continue;
                    }
                    if record.iter().all(|f| f.iter().all(u8::is_ascii_whitespace)) {
                        sink(Parsed::Ignored { line, reason: "blank line" });
                        continue;
                    }
                    let ascii = record.as_slice().is_ascii();
                    if let Some(field) = record.iter().position(|f| !ascii && std::str::from_utf8(f).is_err()) {
                        let field = field as u64 + 1;
                        sink(Parsed::Rejected(Rejection::new(line, field, format!("field {field} is not valid UTF-8"), &raw())));
                        continue;
                    }
                    // Every field is valid UTF-8 (checked just above).
                    let text = |i: usize| std::str::from_utf8(&record[i]).expect("checked");
                    if self.prefilter.as_ref().is_some_and(|f| !f.may_contain(record.as_slice())) {
                        match mapping::to_other_account_event(line, text(time_i), text(actor_i), status_i.map(text), self.time_zone) {
                            Ok(ev) => sink(Parsed::Event(ev)),
                            Err(reason) => sink(Parsed::Rejected(Rejection::new(line, time_i as u64 + 1, reason, &raw()))),
                        }
                        continue;
                    }
                    let get = |i: Option<usize>| i.map(text);
                    let values = MappedValues {
                        time: text(time_i),
                        actor: text(actor_i),
                        action: get(action_i),
                        table: get(table_i),
                        record: get(record_i),
                        fields: get(fields_i),
                        status: get(status_i),
                        query: get(query_i),
                    };
                    match mapping::to_event(line, &values, self.time_zone) {
                        Ok(ev) => sink(Parsed::Event(ev)),
                        Err(reason) => sink(Parsed::Rejected(Rejection::new(line, time_i as u64 + 1, reason, &raw()))),
                    }
                }
                Err(e) => {
                    let line = lines.line_at(e.position().map(|p| p.byte()).unwrap_or(start));
                    match e.kind() {
                        csv::ErrorKind::Io(_) => {
                            let csv::ErrorKind::Io(io) = e.into_kind() else { unreachable!() };
                            return Err(io);
                        }
                        _ => sink(Parsed::Rejected(Rejection::new(line, 0, e.to_string(), b""))),
                    }
                }
            }
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
    use crate::ingest::Payload;

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

    #[test]
    fn wrong_field_count_and_bad_time_are_rejected() {
        let out = run("time,user,record\n2019-06-03T10:00:00Z,a\n2019-06-03 10:00:00,a,C1\n");
        assert!(matches!(&out[0], Parsed::Rejected(r) if r.reason.contains("2 fields") && r.line == 2));
        assert!(matches!(&out[1], Parsed::Rejected(r) if r.reason.contains("no time zone") && r.line == 3 && r.column == 1));
    }
}
