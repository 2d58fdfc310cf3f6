//! CSV exports with a header row whose columns are looked up by name (Salesforce EventLogFiles, Zendesk access
//! logs): every row comes with its exact first line (quoted newlines and CRLF counted); rows whose width differs
//! from the header's and unreadable CSV are rejections.

use std::collections::HashMap;
use std::io::BufRead;

use crate::read::lines::NewlineTracking;
use crate::ingest::event::Rejection;

pub enum CsvRecord<'a> {
    /// A row: `get` looks a column up by name (any case) and gives its trimmed, non-empty value.
    Row { line: u64, get: &'a dyn Fn(&str) -> Option<String>, raw: &'a [u8] },
    Rejected(Rejection),
}

pub fn read(input: &mut dyn BufRead, visit: &mut dyn FnMut(CsvRecord<'_>)) -> std::io::Result<()> {
    let (tracked, lines) = NewlineTracking::new(input);
    let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(true).from_reader(tracked);
    let names = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => return reject_or_fail(e, 1, visit),
    };
    let width = names.len();
    let header: HashMap<String, usize> =
        names.iter().enumerate().map(|(i, c)| (c.trim().trim_start_matches('\u{feff}').to_ascii_lowercase(), i)).collect();
    let mut record = csv::StringRecord::new();
    loop {
        let start = reader.position().byte();
        match reader.read_record(&mut record) {
            Ok(false) => return Ok(()),
            Ok(true) => {
                let line = lines.line_at(record.position().map(|p| p.byte()).unwrap_or(start));
                let raw = record.iter().collect::<Vec<_>>().join(",").into_bytes();
                if record.len() != width {
                    let reason = format!("row has {} fields, the header has {width}", record.len());
                    visit(CsvRecord::Rejected(Rejection::new(line, record.len().min(width) as u64 + 1, reason, &raw)));
                    continue;
                }
                let get = |name: &str| header.get(&name.to_ascii_lowercase()).map(|i| record[*i].trim().to_string()).filter(|s| !s.is_empty());
                visit(CsvRecord::Row { line, get: &get, raw: &raw });
            }
            Err(e) => {
                let line = lines.line_at(e.position().map(|p| p.byte()).unwrap_or(start));
                reject_or_fail(e, line, visit)?;
            }
        }
    }
}

/// An I/O error ends the file; any other CSV error rejects the record.
fn reject_or_fail(e: csv::Error, line: u64, visit: &mut dyn FnMut(CsvRecord<'_>)) -> std::io::Result<()> {
    if let csv::ErrorKind::Io(_) = e.kind() {
        let csv::ErrorKind::Io(io) = e.into_kind() else { unreachable!() };
        return Err(io);
    }
    visit(CsvRecord::Rejected(Rejection::new(line, 0, e.to_string(), b"")));
    Ok(())
}

/// Windows PowerShell's `Export-Csv` writes `#TYPE <class>` before the header: consumes that line when it is there
/// and returns how many lines were skipped (0 or 1), to add to the rows' line numbers.
pub fn skip_export_csv_type_line(input: &mut dyn BufRead) -> std::io::Result<u64> {
    let start = input.fill_buf()?;
    if start.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(start).starts_with(b"#TYPE") {
        input.read_until(b'\n', &mut Vec::new())?;
        return Ok(1);
    }
    Ok(0)
}

/// The header's column names (lower case, quotes and BOM removed) of a CSV file's start, after an `Export-Csv`
/// `#TYPE` line: for telling formats apart.
pub fn header_columns(text: &str) -> Vec<String> {
    let mut lines = text.trim_start_matches('\u{feff}').lines().map(str::trim).filter(|l| !l.is_empty());
    let mut header = lines.next().unwrap_or_default();
    if header.starts_with("#TYPE") {
        header = lines.next().unwrap_or_default();
    }
    header.split(',').map(|c| c.trim().trim_matches('"').to_ascii_lowercase()).collect()
}
