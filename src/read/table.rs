//! Reading the case's tables (customers and linked tables): CSV or TSV, UTF-8 with or without BOM,
//! CRLF or LF, quoted fields with newlines, plain/gzip/zstd; or Parquet, an Excel workbook's sheet or a JSON
//! array (see [`TableKind`]), whose cells are handed over as text like a CSV's. Streamed row by row.

use std::path::{Path, PathBuf};

use crate::read::encoding::TextEncoding;
use crate::error::{Error, Result};
use crate::read::csv_pieces;
use crate::read::line_scan::LineShape;
use crate::read::pieces::{ChunkEnd, ChunkParser, LineNumbered};
use crate::read::input;
use crate::read::json_array::JsonRows;
use crate::read::keys::{KeyCheck, KeyType};
use crate::read::parquet::ParquetRows;
use crate::read::xlsx::XlsxRows;

/// A table file: its path, delimiter and header.
#[derive(Clone, Debug)]
pub struct TableFile {
    pub path: PathBuf,
    pub delimiter: u8,
    pub columns: Vec<String>,
    /// The file's character encoding (transcoded to UTF-8 as it is read).
    pub encoding: TextEncoding,
    /// CSV text, or another kind of file whose rows are read as text cells.
    pub kind: TableKind,
}

/// The kind of file a table is: told by the case's `format` key, else by the file's name (`.parquet`,
/// `.xlsx`, `.json`), else by its first bytes (Parquet, a zip); CSV otherwise.
#[derive(Clone, Debug, Default)]
pub enum TableKind {
    #[default]
    Csv,
    Parquet,
    /// One sheet of an Excel workbook (`sheet`).
    Xlsx(XlsxRows),
    /// A JSON array of objects.
    Json(JsonRows),
}

/// What the case says of a table file (`format`, `sheet`).
#[derive(Clone, Copy, Debug, Default)]
pub struct Declared<'a> {
    pub format: Option<&'a str>,
    pub sheet: Option<&'a str>,
}

/// The kinds a table's `format` may name.
const KINDS: &str = "csv, tsv, parquet, xlsx, json";

impl TableFile {
    /// Opens `path` and reads its header. The delimiter is a tab for `.tsv`/`.tab` names, or when the
    /// header has tabs and no commas; otherwise a comma.
    pub fn open(path: &Path) -> Result<TableFile> {
        TableFile::open_encoded(path, TextEncoding::UTF8)
    }

    /// As [`TableFile::open`], for a file in `encoding`.
    pub fn open_encoded(path: &Path, encoding: TextEncoding) -> Result<TableFile> {
        TableFile::open_declared(path, encoding, Declared::default())
    }

    /// As [`TableFile::open_encoded`], with the kind of file and the sheet the case declares.
    pub fn open_declared(path: &Path, encoding: TextEncoding, declared: Declared<'_>) -> Result<TableFile> {
        let kind = kind_of(path, declared.format)?;
        let text_only = |what: &str| Error::input(path, format!("`{what}` is for {}, not a {kind} file", if what == "sheet" { "Excel workbooks (.xlsx)" } else { "text tables (CSV, JSON)" }));
        if declared.sheet.is_some() && kind != "xlsx" {
            return Err(text_only("sheet"));
        }
        if encoding != TextEncoding::UTF8 && (kind == "parquet" || kind == "xlsx") {
            return Err(text_only("encoding"));
        }
        let (columns, kind) = match kind {
            "parquet" => (ParquetRows::open(path)?.columns, TableKind::Parquet),
            "xlsx" => {
                let sheet = XlsxRows::open(path, declared.sheet)?;
                (sheet.columns.clone(), TableKind::Xlsx(sheet))
            }
            "json" => {
                let rows = JsonRows::open(path, encoding)?;
                (rows.columns.clone(), TableKind::Json(rows))
            }
            _ => return TableFile::open_csv(path, encoding, (kind == "tsv").then_some(b'\t')),
        };
        if columns.iter().any(|c| c.is_empty()) {
            return Err(Error::input(path, "a column has no name"));
        }
        Ok(TableFile { path: path.to_path_buf(), delimiter: b',', columns, encoding, kind })
    }

    /// A CSV table (`delimiter`: declared, else told from the name and header).
    fn open_csv(path: &Path, encoding: TextEncoding, delimiter: Option<u8>) -> Result<TableFile> {
        let sample = input::sample_encoded(path, 64 * 1024, encoding)?;
        if sample.is_empty() {
            return Err(Error::input(path, "the table is empty (no header row)"));
        }
        let delimiter = delimiter.unwrap_or_else(|| delimiter_for(path, &sample));
        let mut reader = csv_reader(input::open_head(path, encoding)?, delimiter);
        let header = reader.byte_headers().map_err(|e| csv_error(path, e, Some(1)))?.clone();
        let mut columns = Vec::with_capacity(header.len());
        for (i, raw) in header.iter().enumerate() {
            let name = std::str::from_utf8(raw)
                .map_err(|_| Error::input_at(path, 1, i as u64 + 1, "header is not UTF-8"))?
                .trim()
                .to_string();
            if columns.contains(&name) {
                return Err(Error::input_at(path, 1, i as u64 + 1, format!("column `{name}` appears twice in the header")));
            }
            columns.push(name);
        }
        Ok(TableFile { path: path.to_path_buf(), delimiter, columns, encoding, kind: TableKind::Csv })
    }

    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }

    /// For an error naming a column the file lacks: the columns it has (the first 20), and where its
    /// header reads as one column with a `|` or `;` in it, how tables are split.
    pub fn columns_note(&self) -> String {
        let shown: Vec<String> = self.columns.iter().take(20).map(|c| format!("`{c}`")).collect();
        let more = if self.columns.len() > 20 { format!(" and {} more", self.columns.len() - 20) } else { String::new() };
        let mut note = format!("its columns: {}{more}", shown.join(", "));
        if matches!(self.kind, TableKind::Csv) && self.columns.len() == 1 && self.columns[0].contains(['|', ';']) {
            note.push_str(
                "; its header is one column: a CSV table is split at commas, or at tabs (a `.tsv` name or tabs in the \
                 header); save the file comma- or tab-separated",
            );
        }
        note
    }

    /// Streams every data row; `visit` gets the row's line number (1 = header) and its fields.
    /// A row with the wrong number of fields or invalid UTF-8 is an error naming line and column: a
    /// customer table that cannot be read exactly must not produce a notification list.
    pub fn for_each_row(&self, visit: impl FnMut(u64, &csv::StringRecord) -> Result<()>) -> Result<()> {
        self.read_rows(None, visit).map(|_| ())
    }

    /// As [`TableFile::for_each_row`], handing over only the rows whose key passes `keys.wanted` (every
    /// row is still checked and counted, and its key noted in `keys.check`). Returns the rows read.
    pub fn for_each_row_with_key(&self, keys: KeyFilter<'_>, visit: impl FnMut(u64, &csv::StringRecord) -> Result<()>) -> Result<u64> {
        self.read_rows(Some(keys), visit)
    }

    /// The file read in pieces on every core (see `read::pieces::parse_chunked`), the rows
    /// handed to `visit` in file order.
    fn read_rows(&self, keys: Option<KeyFilter<'_>>, mut visit: impl FnMut(u64, &csv::StringRecord) -> Result<()>) -> Result<u64> {
        let (column, wanted, key_type, mut check, mut hashes) = match keys {
            Some(k) => (Some(k.column), Some(k.wanted), k.key_type, k.check, k.key_hashes),
            // Without a filter no key is made canonical, checked or hashed: the type is not used.
            None => (None, None, KeyType::Text, None, None),
        };
        let reader = TableRows {
            delimiter: self.delimiter,
            columns: self.columns.len(),
            key: column,
            wanted,
            key_type,
            check_keys: check.is_some(),
            hash_keys: hashes.is_some(),
        };
        // The key hashes of the rows handed over (those of the rows passed over come in parts of their own).
        let mut own_hashes: Vec<u64> = Vec::new();
        if !matches!(self.kind, TableKind::Csv) {
            // Cells already split: each row's key is checked, hashed and tested here, one row after another.
            let mut rows_read = 0;
            let mut each = |line: u64, record: &csv::StringRecord| -> Result<()> {
                rows_read += 1;
                if let Some(column) = column {
                    let raw = &record[column];
                    if let Some(check) = check.as_mut() {
                        check.note(line, raw, key_type);
                    }
                    let (wanted, hash) = reader.choose(raw);
                    if hashes.is_some() {
                        own_hashes.extend(hash);
                    }
                    if !wanted {
                        return Ok(());
                    }
                }
                visit(line, record)
            };
            match &self.kind {
                TableKind::Parquet => ParquetRows::open(&self.path)?.for_each_row(&mut each)?,
                TableKind::Xlsx(sheet) => sheet.for_each_row(&mut each)?,
                TableKind::Json(rows) => rows.for_each_row(&mut each)?,
                TableKind::Csv => unreachable!("CSV is read below"),
            }
            if let Some(hashes) = hashes {
                hashes.push(own_hashes);
            }
            return Ok(rows_read);
        }
        let mut input = input::open_encoded(&self.path, self.encoding, &indicatif::ProgressBar::hidden())?;
        let mut rows_read = 0;
        let mut failure: Option<Error> = None;
        let mut sink = |item: TableItem| {
            if failure.is_some() {
                return;
            }
            match item {
                TableItem::Row { line, record, key_hash } => {
                    rows_read += 1;
                    if let Some(check) = check.as_mut() {
                        check.note(line, &record[column.expect("a key filter")], key_type);
                    }
                    if hashes.is_some() {
                        own_hashes.extend(key_hash);
                    }
                    if let Err(e) = visit(line, &record) {
                        failure = Some(e);
                    }
                }
                TableItem::Passed { rows, key_hashes } => {
                    rows_read += rows;
                    if let Some(hashes) = hashes.as_mut() {
                        hashes.push(key_hashes);
                    }
                }
                TableItem::SuspectKey { line, raw } => {
                    if let Some(check) = check.as_mut() {
                        check.note(line, &raw, key_type);
                    }
                }
                TableItem::Bad { line, column, message } => failure = Some(Error::input_at(&self.path, line, column, message)),
            }
        };
        let read = if crate::read::pieces::enabled() {
            crate::read::pieces::parse_chunked(&reader, &mut input, &mut sink)
        } else {
            crate::read::pieces::ChunkParser::parse_rest(&reader, &mut input, true, &mut sink)
        };
        if let Some(e) = failure {
            return Err(e);
        }
        read.map_err(|source| Error::Read { path: self.path.clone(), source })?;
        if let Some(hashes) = hashes {
            hashes.push(own_hashes);
        }
        Ok(rows_read)
    }
}

/// Which rows [`TableFile::for_each_row_with_key`] hands over, told by their key cell.
pub struct KeyFilter<'a> {
    /// The key column.
    pub column: usize,
    /// The type of the keys: each row's key cell is made canonical in it and hashed
    /// ([`crate::read::keys::key_hash`]) once, for `wanted` and `key_hashes` alike.
    pub key_type: KeyType,
    /// Whether a row with this key (canonical, and its hash) is wanted; called on every core.
    pub wanted: &'a (dyn Fn(&str, u64) -> bool + Sync),
    /// Where to note keys with whitespace around them or (for numeric keys) not numbers.
    pub check: Option<&'a mut KeyCheck>,
    /// Where to put the hash of every row's key (empty keys left out), in parts (a piece's rows passed over,
    /// the rows handed over), in no particular order: keys on several rows are found from them. (Put
    /// together into one vector here, a million hashes were copied and faulted in on the main thread while
    /// the other cores waited; the finder does it on its own core.)
    pub key_hashes: Option<&'a mut Vec<Vec<u64>>>,
}

/// What a table's pieces are read into.
#[derive(Debug, PartialEq)]
enum TableItem {
    /// A row to hand over, with its key's hash when rows are chosen by key (and the key is not empty).
    Row { line: u64, record: csv::StringRecord, key_hash: Option<u64> },
    /// Well-formed rows not handed over (their key was not wanted), with their keys' hashes when asked for.
    Passed { rows: u64, key_hashes: Vec<u64> },
    /// The key of a row not handed over, worth noting in the key check.
    SuspectKey { line: u64, raw: String },
    /// A row that cannot be read exactly (the table is unusable).
    Bad { line: u64, column: u64, message: String },
}

impl LineNumbered for TableItem {
    fn shift_lines(&mut self, lines: u64) {
        match self {
            TableItem::Row { line, .. } | TableItem::SuspectKey { line, .. } | TableItem::Bad { line, .. } => *line += lines,
            TableItem::Passed { .. } => {}
        }
    }
}

/// Reads a table's pieces (the parts [`TableFile::read_rows`] runs on every core).
struct TableRows<'a> {
    delimiter: u8,
    columns: usize,
    /// The key column, when rows are chosen by key.
    key: Option<usize>,
    wanted: Option<&'a (dyn Fn(&str, u64) -> bool + Sync)>,
    /// The type of the keys (see [`KeyFilter::key_type`]).
    key_type: KeyType,
    /// Whether keys are checked (keys worth a note sent on).
    check_keys: bool,
    /// Whether the keys' hashes are kept.
    hash_keys: bool,
}

impl TableRows<'_> {
    /// Whether a row with this key cell is handed over (every row is without a key filter), and the hash
    /// of its key when rows are chosen by key and the key is not empty: made once, for the filter and the
    /// hashes kept alike.
    #[inline]
    fn choose(&self, raw: &str) -> (bool, Option<u64>) {
        let Some(wanted) = self.wanted else { return (true, None) };
        let key = self.key_type.canonical(raw);
        let hash = crate::read::keys::key_hash(&key);
        (wanted(&key, hash), (!key.is_empty()).then_some(hash))
    }
}

impl ChunkParser<TableItem> for TableRows<'_> {
    fn parse_chunk(&self, own: &[u8], lookahead: &[u8], first: bool, sink: &mut dyn FnMut(TableItem)) -> ChunkEnd {
        self.parse_chunk_counted(own, lookahead, first, sink).0
    }

    fn parse_chunk_counted(&self, own: &[u8], lookahead: &[u8], first: bool, sink: &mut dyn FnMut(TableItem)) -> (ChunkEnd, Option<u64>) {
        // One UTF-8 check of the piece instead of one per row (the rows passed over lie within `own`).
        let piece = simdutf8::basic::from_utf8(own).ok();
        csv_pieces::parse_chunk(&mut PieceRows { table: self, passed: 0, hashes: Vec::new(), piece }, own, lookahead, first, sink)
    }

    fn parse_rest(&self, input: &mut dyn std::io::BufRead, first: bool, sink: &mut dyn FnMut(TableItem)) -> std::io::Result<()> {
        csv_pieces::read_records(&mut PieceRows { table: self, passed: 0, hashes: Vec::new(), piece: None }, input, first, None, sink).map(|_| ())
    }
}

/// The rows of one piece.
struct PieceRows<'t, 'a, 'p> {
    table: &'t TableRows<'a>,
    /// Rows passed over since the last flush.
    passed: u64,
    /// Their keys' hashes, when asked for.
    hashes: Vec<u64>,
    /// The piece being read, where it is valid UTF-8: its rows need no check of their own.
    piece: Option<&'p str>,
}

impl PieceRows<'_, '_, '_> {
    /// Passes over the row `record` (with `cells` fields, its key cell at `key`) when it is well-formed (the
    /// header's field count, valid UTF-8) and its key is not wanted; false when it is to be split and
    /// handed to [`RecordHandler::record`](csv_pieces::RecordHandler::record), which says what is wrong
    /// with it or hands it over.
    #[inline]
    fn passed_over(&mut self, record: &[u8], cells: usize, key: std::ops::Range<usize>, line: u64, sink: &mut dyn FnMut(TableItem)) -> bool {
        if cells != self.table.columns {
            return false;
        }
        let Some(text) = csv_pieces::line_text(self.piece, record) else { return false };
        // (Cut at ASCII delimiters, the key cell starts and ends at characters' bounds.)
        let Some(key) = text.get(key) else { return false };
        let (wanted, hash) = self.table.choose(key);
        if wanted {
            return false;
        }
        self.pass(key, hash, line, sink);
        true
    }

    /// A row not handed over (its key's hash `hash`): counted, its key noted when worth it.
    fn pass(&mut self, key: &str, hash: Option<u64>, line: u64, sink: &mut dyn FnMut(TableItem)) {
        self.passed += 1;
        if self.table.hash_keys {
            if self.hashes.capacity() == 0 {
                // About a piece's rows at once: grown from nothing, the vector took a page fault per row.
                self.hashes.reserve(1 << 15);
            }
            self.hashes.extend(hash);
        }
        if self.table.check_keys && crate::read::keys::is_suspect(key, self.table.key_type) {
            sink(TableItem::SuspectKey { line, raw: key.to_string() });
        }
    }
}

impl csv_pieces::RecordHandler for PieceRows<'_, '_, '_> {
    type Item = TableItem;

    fn delimiter(&self) -> u8 {
        self.table.delimiter
    }

    fn record(&mut self, record: &csv::ByteRecord, line: u64, sink: &mut dyn FnMut(TableItem)) {
        let columns = self.table.columns;
        if record.len() != columns {
            let message = format!("row has {} fields, the header has {}", record.len(), columns);
            sink(TableItem::Bad { line, column: record.len().min(columns) as u64 + 1, message });
            return;
        }
        if !record.as_slice().is_ascii() {
            if let Some(field) = record.iter().position(|f| std::str::from_utf8(f).is_err()) {
                sink(TableItem::Bad { line, column: field as u64 + 1, message: "field is not valid UTF-8".into() });
                return;
            }
        }
        let mut key_hash = None;
        if let Some(key) = self.table.key {
            let key = std::str::from_utf8(&record[key]).expect("every field is valid UTF-8 (checked above)");
            let (wanted, hash) = self.table.choose(key);
            if !wanted {
                self.pass(key, hash, line, sink);
                return;
            }
            key_hash = hash;
        }
        let record = csv::StringRecord::from_byte_record(record.clone()).expect("every field is valid UTF-8 (checked above)");
        sink(TableItem::Row { line, record, key_hash });
    }

    fn plain_line(&mut self, text: &[u8], shape: &LineShape, line: u64, scratch: &mut csv::ByteRecord, sink: &mut dyn FnMut(TableItem)) {
        // A well-formed row whose key is not wanted is passed over from its key cell alone; splitting at
        // an ASCII delimiter keeps every cell valid UTF-8 when the line is.
        if let Some(key) = self.table.key {
            let (cells, [cell]) = shape.cells(text, self.table.delimiter, [key]);
            if self.passed_over(text, cells, cell, line, sink) {
                return;
            }
        }
        csv_pieces::split_plain_line(text, self.table.delimiter, scratch);
        self.record(scratch, line, sink);
    }

    fn quoted_record(&mut self, text: &[u8], line: u64, scratch: &mut csv::ByteRecord, sink: &mut dyn FnMut(TableItem)) -> Option<usize> {
        // As a plain line: a well-formed row whose key is not wanted is passed over from its key cell alone,
        // not split into fields (a tickets table with a quoted subject on every other row: splitting them
        // was a fifth of reading it, perf). Quotes and delimiters are ASCII: the record is valid UTF-8 when
        // each of its fields is.
        if let Some(key) = self.table.key {
            if let Some((end, cells, Some(cell))) = csv_pieces::quoted_cells(text, self.table.delimiter, key) {
                if self.passed_over(&text[..end], cells, cell, line, sink) {
                    return Some(end);
                }
            }
        }
        csv_pieces::split_and_handle(self, text, line, scratch, sink)
    }

    fn unreadable(&mut self, line: u64, error: &csv::Error, sink: &mut dyn FnMut(TableItem)) {
        let (column, message) = csv_problem(error);
        sink(TableItem::Bad { line, column, message });
    }

    fn flush(&mut self, sink: &mut dyn FnMut(TableItem)) {
        if self.passed > 0 {
            sink(TableItem::Passed { rows: std::mem::take(&mut self.passed), key_hashes: std::mem::take(&mut self.hashes) });
        }
    }
}

/// The kind of file at `path`: `csv`, `tsv`, `parquet`, `xlsx` or `json` (see [`TableKind`]).
fn kind_of(path: &Path, declared: Option<&str>) -> Result<&'static str> {
    if let Some(format) = declared {
        return match format.trim().to_ascii_lowercase().as_str() {
            "csv" => Ok("csv"),
            "tsv" => Ok("tsv"),
            "parquet" => Ok("parquet"),
            "xlsx" | "excel" => Ok("xlsx"),
            "json" => Ok("json"),
            other => Err(Error::input(path, format!("unknown table format `{other}` (known: {KINDS})"))),
        };
    }
    let name = path.file_name().map(|n| n.to_string_lossy().to_lowercase()).unwrap_or_default();
    let name = name.trim_end_matches(".gz").trim_end_matches(".zst").trim_end_matches(".zstd");
    if name.ends_with(".parquet") {
        return Ok("parquet");
    }
    if name.ends_with(".xlsx") || name.ends_with(".xlsm") {
        return Ok("xlsx");
    }
    if name.ends_with(".json") {
        return Ok("json");
    }
    let mut head = [0u8; 8];
    let n = std::fs::File::open(path).and_then(|mut f| std::io::Read::read(&mut f, &mut head)).map_err(|source| Error::Read { path: path.to_path_buf(), source })?;
    let head = &head[..n];
    if crate::read::parquet::is_parquet(head) {
        return Ok("parquet");
    }
    if crate::read::xlsx::is_zip(head) {
        return Ok("xlsx");
    }
    if head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) || name.ends_with(".xls") {
        return Err(Error::input(path, "an Excel 97-2003 workbook (.xls): save it as .xlsx (or CSV) and name that file"));
    }
    Ok("csv")
}

fn csv_reader(input: Box<dyn std::io::BufRead + Send>, delimiter: u8) -> csv::Reader<Box<dyn std::io::BufRead + Send>> {
    csv::ReaderBuilder::new().delimiter(delimiter).flexible(true).has_headers(true).from_reader(input)
}

fn delimiter_for(path: &Path, sample: &[u8]) -> u8 {
    let name = path.file_name().map(|n| n.to_string_lossy().to_lowercase()).unwrap_or_default();
    let name = name.trim_end_matches(".gz").trim_end_matches(".zst").trim_end_matches(".zstd");
    if name.ends_with(".tsv") || name.ends_with(".tab") {
        return b'\t';
    }
    let header = sample.split(|b| *b == b'\n').next().unwrap_or_default();
    if header.contains(&b'\t') && !header.contains(&b',') {
        b'\t'
    } else {
        b','
    }
}

/// A csv error with its line (computed from the byte position where known) and column (field number).
pub fn csv_error(path: &Path, err: csv::Error, line: Option<u64>) -> Error {
    let line = line.or_else(|| err.position().map(|p| p.line())).unwrap_or(0);
    let (column, message) = csv_problem(&err);
    Error::input_at(path, line, column, message)
}

/// A csv error's column (field number, 0 when not known) and what it says.
fn csv_problem(err: &csv::Error) -> (u64, String) {
    match err.kind() {
        csv::ErrorKind::Utf8 { err, .. } => (err.field() as u64 + 1, "field is not valid UTF-8".to_string()),
        csv::ErrorKind::Io(e) => (0, format!("read error: {e}")),
        _ => (0, err.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A table's items in order, the counts of rows passed over summed at the end (pieces send them at
    /// other places than one reader does).
    fn normalised(items: Vec<TableItem>) -> (Vec<TableItem>, u64, Vec<u64>) {
        let mut passed = 0;
        let mut kept = Vec::new();
        let mut hashes = Vec::new();
        for item in items {
            match item {
                TableItem::Passed { rows, key_hashes } => {
                    passed += rows;
                    hashes.extend(key_hashes);
                }
                other => kept.push(other),
            }
        }
        hashes.sort_unstable();
        (kept, passed, hashes)
    }

    /// A row of a table with a numeric key, of the kinds exports hold (and some broken ones).
    fn table_row() -> impl Strategy<Value = Vec<u8>> {
        // Keys quoted too (a row with a quote is passed over by its key cell without being split), one with
        // a doubled quote.
        let key = prop_oneof![Just("11"), Just("12"), Just(" 21 "), Just("0031"), Just("x1"), Just(""), Just("\"12\""), Just("\"11\""), Just("\"1\"\"2\"")];
        let text = prop_oneof![Just("plain"), Just("Chloé"), Just("\"Zoë, Ann\""), Just("\"Lee, Ann\""), Just("\"two\nlines\""), Just("\"say \"\"hi\"\"\r\nbye\"")];
        (key, text, 0u8..10).prop_map(|(key, text, kind)| match kind {
            0 => b"\n".to_vec(),
            1 => format!("{key},{text}\n").into_bytes(),                 // a field short
            2 => format!("{key},{text},C1,extra\n").into_bytes(),        // a field too many
            3 => [format!("{key},Zo").as_bytes(), b"\xeb", b",C1\r\n"].concat(), // Latin-1
            4 => format!("{key},{text},C1\r\n").into_bytes(),
            _ => format!("{key},{text},C{kind}\n").into_bytes(),
        })
    }

    fn table_text() -> impl Strategy<Value = Vec<u8>> {
        (proptest::collection::vec(table_row(), 0..40), any::<bool>()).prop_map(|(rows, newline_at_end)| {
            let mut text = b"id,note,customer\n".to_vec();
            rows.iter().for_each(|r| text.extend_from_slice(r));
            if !newline_at_end && text.last() == Some(&b'\n') {
                text.pop();
            }
            text
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// Read in pieces on every core, a table gives exactly what one reader gives: the same rows with
        /// the same lines, the same keys noted, the same first error.
        #[test]
        fn pieces_give_what_one_reader_gives(text in table_text(), read_size in 1usize..64, piece in 1usize..200, per_round in 1usize..4, by_key in any::<bool>()) {
            let wanted = |key: &str, _: u64| key.ends_with('1');
            let rows = TableRows { delimiter: b',', columns: 3, key: by_key.then_some(0), wanted: by_key.then_some(&wanted as _), key_type: KeyType::Numeric, check_keys: by_key, hash_keys: by_key };
            let mut serial = Vec::new();
            rows.parse_rest(&mut &text[..], true, &mut |item| serial.push(item)).unwrap();
            let mut pieces = Vec::new();
            crate::read::pieces::parse_in_pieces(&rows, &mut std::io::BufReader::with_capacity(read_size, &text[..]), &mut |item| pieces.push(item), piece, per_round).unwrap();
            prop_assert_eq!(normalised(pieces), normalised(serial));
        }
    }

    #[test]
    fn rows_are_chosen_by_key_and_every_row_is_counted_and_its_key_checked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tickets.csv");
        std::fs::write(&path, "id,customer\n 7 ,C1\n8,C2\nx9,C3\n0007,C4\n").unwrap();
        let table = TableFile::open(&path).unwrap();
        let mut check = KeyCheck::new("tickets", "tickets.csv", "id");
        let wanted = |key: &str, _: u64| key == "7";
        let mut rows = Vec::new();
        let read = table
            .for_each_row_with_key(KeyFilter { column: 0, key_type: KeyType::Numeric, wanted: &wanted, check: Some(&mut check), key_hashes: None }, |line, row| {
                rows.push((line, row[1].to_string()));
                Ok(())
            })
            .unwrap();
        assert_eq!(read, 4);
        assert_eq!(rows, [(2, "C1".to_string()), (5, "C4".to_string())]);
        assert_eq!((check.padded, check.padded_lines.clone()), (1, vec![2]));
        assert_eq!((check.not_numeric, check.not_numeric_lines.clone()), (1, vec![4]));
    }

    #[test]
    fn every_rows_key_is_hashed_in_its_canonical_form() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("customers.csv");
        std::fs::write(&path, "id,name\n7,A\n8,B\n 007 ,C\n,D\n9,E\n").unwrap();
        let table = TableFile::open(&path).unwrap();
        let mut hashes = Vec::new();
        // The filter is given the key made canonical and its hash, the same hash as kept.
        let wanted = |key: &str, hash: u64| {
            assert_eq!(hash, crate::read::keys::key_hash(key));
            key == "8"
        };
        let filter = KeyFilter { column: 0, key_type: KeyType::Numeric, wanted: &wanted, check: None, key_hashes: Some(&mut hashes) };
        let read = table.for_each_row_with_key(filter, |_, _| Ok(())).unwrap();
        assert_eq!(read, 5);
        let mut hashes: Vec<u64> = hashes.concat();
        hashes.sort_unstable();
        let mut expected: Vec<u64> = ["7", "8", "7", "9"].iter().map(|k| crate::read::keys::key_hash(k)).collect();
        expected.sort_unstable();
        assert_eq!(hashes, expected, "wanted and passed rows alike; `007` is `7`; the empty key is left out");
    }

    #[test]
    fn bom_crlf_and_quoted_newlines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("customers.csv");
        std::fs::write(&path, "\u{feff}customer_id,full_name\r\n007,\"Ann\r\nLee\"\r\n8,Bob\r\n").unwrap();
        let table = TableFile::open(&path).unwrap();
        assert_eq!(table.columns, ["customer_id", "full_name"]);
        let mut rows = Vec::new();
        table.for_each_row(|_, r| {
            rows.push((r[0].to_string(), r[1].to_string()));
            Ok(())
        })
        .unwrap();
        assert_eq!(rows, [("007".into(), "Ann\r\nLee".into()), ("8".into(), "Bob".into())]);
    }

    #[test]
    fn line_numbers_are_right_with_crlf_too() {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in [("lf.csv", "id,name\n1,A\n2,\"B\nC\"\n3,D\n"), ("crlf.csv", "id,name\r\n1,A\r\n2,\"B\r\nC\"\r\n3,D\r\n")] {
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            let mut lines = Vec::new();
            TableFile::open(&path).unwrap().for_each_row(|line, _| {
                lines.push(line);
                Ok(())
            })
            .unwrap();
            assert_eq!(lines, [2, 3, 5], "{name}");
        }
    }

    #[test]
    fn tsv_by_name_and_by_content() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("people.txt");
        std::fs::write(&path, "id\tname\n1\tA, B\n").unwrap();
        assert_eq!(TableFile::open(&path).unwrap().delimiter, b'\t');
    }

    /// The reader skips blank lines before a row; the row's line was once the first blank line's.
    #[test]
    fn a_row_after_blank_lines_has_its_own_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.csv");
        std::fs::write(&path, b"id,name\n\n\r\n1,A\n\n2,\"B\nC\"\n\n\n3,Zo\xeb\n").unwrap();
        let table = TableFile::open(&path).unwrap();
        let mut lines = Vec::new();
        let err = table
            .for_each_row(|line, _| {
                lines.push(line);
                Ok(())
            })
            .unwrap_err()
            .to_string();
        assert_eq!(lines, [4, 6]);
        assert!(err.contains("c.csv:10:2: field is not valid UTF-8"), "{err}");
    }

    #[test]
    fn short_row_is_an_error_with_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.csv");
        std::fs::write(&path, "id,name\n1,A\n2\n").unwrap();
        let table = TableFile::open(&path).unwrap();
        let err = table.for_each_row(|_, _| Ok(())).unwrap_err().to_string();
        assert!(err.contains("c.csv:3:"), "{err}");
    }

    #[test]
    fn invalid_utf8_in_the_first_row_is_placed_on_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.csv");
        std::fs::write(&path, b"id,name\n1,Zo\xeb\n").unwrap();
        let err = TableFile::open(&path).unwrap().for_each_row(|_, _| Ok(())).unwrap_err().to_string();
        assert!(err.contains("c.csv:2:2: field is not valid UTF-8"), "{err}");
        let mut names = Vec::new();
        TableFile::open_encoded(&path, TextEncoding::LATIN1)
            .unwrap()
            .for_each_row(|_, r| {
                names.push(r[1].to_string());
                Ok(())
            })
            .unwrap();
        assert_eq!(names, ["Zoë"]);
    }
}
