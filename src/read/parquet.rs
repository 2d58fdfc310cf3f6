//! Parquet files (a warehouse, Spark or pandas export) as rows of text cells, read row group by row group:
//! polars decodes one row group at a time, so memory holds one row group, never the file.
//!
//! Cells are written as a CSV export of the same data would hold them: a null is an empty cell; integers,
//! decimals, booleans and dates (`2019-06-03`) as polars writes them; a float with no fraction as an integer
//! (`1001.0` is `1001`, as pandas writes an integer column with nulls); a timestamp with a zone (Parquet
//! `isAdjustedToUTC`) as UTC RFC 3339 (`2019-06-03T10:00:00Z`), one without as the wall time
//! (`2019-06-03 10:00:00`, which needs the log's `time_zone`, like a CSV's); a list as its items joined with
//! `|`. A row's line is its number in the file (the first row is 1).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use polars::prelude::{DataFrame, DataType, Series, StringChunked, TimeUnit};
use polars_io::prelude::{FileMetadataRef, ParallelStrategy, ParquetReader};
use polars_io::SerReader;

use crate::error::{Error, Result};

/// The first (and last) four bytes of every Parquet file.
pub const MAGIC: &[u8; 4] = b"PAR1";

/// Whether a file starting with `head` is Parquet.
pub fn is_parquet(head: &[u8]) -> bool {
    head.starts_with(MAGIC)
}

/// An open Parquet file: its columns and row groups.
pub struct ParquetRows {
    path: PathBuf,
    pub columns: Vec<String>,
    metadata: FileMetadataRef,
}

/// An error's message on one line (polars' and calamine's may hold several), to follow the file's name.
pub(crate) fn one_line(error: impl std::fmt::Display) -> String {
    error.to_string().split_whitespace().collect::<Vec<_>>().join(" ")
}

impl ParquetRows {
    /// Reads the file's footer (schema and row groups). A file that is not Parquet, or is cut short, is an
    /// error naming it.
    pub fn open(path: &Path) -> Result<ParquetRows> {
        let file = std::fs::File::open(path).map_err(|source| Error::Read { path: path.to_path_buf(), source })?;
        let bad = |e: polars::prelude::PolarsError| Error::input(path, format!("not a readable Parquet file ({}): is it complete?", one_line(e)));
        let mut reader = ParquetReader::new(file);
        let metadata = reader.get_metadata().map_err(bad)?.clone();
        let schema = reader.schema().map_err(bad)?;
        let mut columns: Vec<String> = Vec::with_capacity(schema.len());
        for (i, (name, field)) in schema.iter().enumerate() {
            let name = name.trim().to_string();
            if columns.contains(&name) {
                return Err(Error::input_at(path, 1, i as u64 + 1, format!("column `{name}` appears twice in the Parquet schema")));
            }
            check_type(&DataType::from_arrow_field(field)).map_err(|m| Error::input(path, format!("column `{name}`: {m}")))?;
            columns.push(name);
        }
        Ok(ParquetRows { path: path.to_path_buf(), columns, metadata })
    }

    /// Rows in the file.
    pub fn rows(&self) -> u64 {
        self.metadata.num_rows as u64
    }

    /// Row groups in the file.
    pub fn groups(&self) -> usize {
        self.metadata.row_groups.len()
    }

    /// The compressed bytes of row group `index` (progress bars).
    pub fn group_bytes(&self, index: usize) -> u64 {
        self.metadata.row_groups[index].compressed_size() as u64
    }

    /// The first row (0-based) of row group `index` and its row count.
    fn group_range(&self, index: usize) -> (usize, usize) {
        let start = self.metadata.row_groups[..index].iter().map(|g| g.num_rows()).sum();
        (start, self.metadata.row_groups[index].num_rows())
    }

    /// Row group `index` as text columns (one per [`ParquetRows::columns`]), with the number of its first
    /// row (1-based).
    pub fn group(&self, index: usize) -> Result<(u64, Vec<StringChunked>)> {
        let (start, rows) = self.group_range(index);
        let file = std::fs::File::open(&self.path).map_err(|source| Error::Read { path: self.path.clone(), source })?;
        // Row groups in parallel would skip nothing; one group is sliced out and decoded alone.
        let mut reader = ParquetReader::new(file).read_parallel(ParallelStrategy::RowGroups).with_slice(Some((start, rows)));
        reader.set_metadata(self.metadata.clone());
        let frame: DataFrame = reader
            .finish()
            .map_err(|e| Error::input(&self.path, format!("row group {} (rows {}..{}) cannot be read: {}", index + 1, start + 1, start + rows, one_line(e))))?;
        let mut columns = Vec::with_capacity(frame.width());
        for (i, column) in frame.columns().iter().enumerate() {
            let series = column.as_materialized_series();
            columns.push(as_text(series).map_err(|(row, m)| {
                let line = row.map_or(start as u64 + 1, |r| (start + r) as u64 + 1);
                Error::input_at(&self.path, line, i as u64 + 1, format!("column `{}`: {m}", self.columns[i]))
            })?);
        }
        Ok((start as u64 + 1, columns))
    }

    /// Calls `visit` with every row's number (1-based) and cells, in file order, a row group at a time.
    pub fn for_each_row(&self, mut visit: impl FnMut(u64, &csv::StringRecord) -> Result<()>) -> Result<()> {
        let mut record = csv::StringRecord::new();
        for group in 0..self.groups() {
            let (first, columns) = self.group(group)?;
            let mut cells: Vec<_> = columns.iter().map(|c| c.iter()).collect();
            let rows = columns.first().map_or(0, |c| c.len());
            for row in 0..rows {
                record.clear();
                for cell in cells.iter_mut() {
                    record.push_field(cell.next().flatten().unwrap_or(""));
                }
                visit(first + row as u64, &record)?;
            }
        }
        Ok(())
    }
}

/// Column types that cannot be written as a cell: nested records.
fn check_type(dtype: &DataType) -> std::result::Result<(), String> {
    match dtype {
        DataType::Struct(_) => Err("holds nested records (struct): flatten it in the export (one column per field)".into()),
        DataType::List(inner) | DataType::Array(inner, _) if inner.is_nested() => {
            Err(format!("holds lists of nested values ({dtype}): flatten it in the export"))
        }
        _ => Ok(()),
    }
}

/// A float as a CSV export would hold it: whole numbers without a fraction.
pub fn float_text(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 9_007_199_254_740_992.0 {
        format!("{}", value as i64)
    } else {
        format!("{value}")
    }
}

/// A column as text cells (see the module's notes); an error names the row (0-based in the group) where known.
fn as_text(series: &Series) -> std::result::Result<StringChunked, (Option<usize>, String)> {
    let failed = |e: polars::prelude::PolarsError| (None, one_line(e));
    let name = series.name().clone();
    Ok(match series.dtype() {
        DataType::String => series.str().map_err(failed)?.clone(),
        DataType::Float32 | DataType::Float64 => {
            let floats = series.cast(&DataType::Float64).map_err(failed)?;
            floats.f64().map_err(failed)?.iter().map(|v| v.map(float_text)).collect::<StringChunked>().with_name(name)
        }
        DataType::Datetime(unit, zone) => {
            let zoned = zone.is_some();
            let unit = *unit;
            let times = series.datetime().map_err(failed)?;
            times.physical().iter().map(|v| v.map(|v| datetime_text(v, unit, zoned))).collect::<StringChunked>().with_name(name)
        }
        DataType::Binary => {
            let bytes = series.binary().map_err(failed)?;
            let mut out = Vec::with_capacity(bytes.len());
            for (row, value) in bytes.iter().enumerate() {
                out.push(match value {
                    None => None,
                    Some(b) => Some(std::str::from_utf8(b).map_err(|_| (Some(row), "field is not valid UTF-8 (binary data)".to_string()))?),
                });
            }
            out.into_iter().collect::<StringChunked>().with_name(name)
        }
        DataType::List(_) => {
            let lists = series.list().map_err(failed)?;
            let mut out: Vec<Option<String>> = Vec::with_capacity(lists.len());
            for row in 0..lists.len() {
                out.push(match lists.get_as_series(row) {
                    None => None,
                    Some(items) => Some(as_text(&items)?.iter().map(|i| i.unwrap_or("")).collect::<Vec<_>>().join("|")),
                });
            }
            out.into_iter().collect::<StringChunked>().with_name(name)
        }
        DataType::Array(..) => as_text(&series.cast(&DataType::List(Box::new(series.dtype().inner_dtype().cloned().unwrap_or(DataType::Null)))).map_err(failed)?)?,
        other => {
            let text = series.cast(&DataType::String).map_err(|e| (None, format!("values of type {other} cannot be read as text ({})", one_line(e))))?;
            text.str().map_err(failed)?.clone()
        }
    })
}

/// A timestamp: with a zone, the instant in UTC (`Z`); without, the wall time as written.
fn datetime_text(value: i64, unit: TimeUnit, zoned: bool) -> String {
    let time = match unit {
        TimeUnit::Nanoseconds => Some(chrono::DateTime::from_timestamp_nanos(value)),
        TimeUnit::Microseconds => chrono::DateTime::from_timestamp_micros(value),
        TimeUnit::Milliseconds => chrono::DateTime::from_timestamp_millis(value),
    };
    match time {
        Some(t) if zoned => t.format("%Y-%m-%dT%H:%M:%S%.fZ").to_string(),
        Some(t) => t.naive_utc().format("%Y-%m-%d %H:%M:%S%.f").to_string(),
        None => value.to_string(),
    }
}

/// Where the rows of a Parquet file written out as CSV text ([`CsvText`]) start: a row with a newline in a
/// cell takes several lines, so a CSV line number is turned back into the row's number.
#[derive(Debug, Default)]
pub struct RowLines {
    /// `(line, row)` where a row starts on another line than `row + 1` (the header is line 1), in order.
    breaks: Mutex<Vec<(u64, u64)>>,
}

impl RowLines {
    /// The row (1-based) of the CSV text's line `line` (the header's line 1 is row 0).
    pub fn row_of(&self, line: u64) -> u64 {
        let breaks = self.breaks.lock().unwrap_or_else(|p| p.into_inner());
        match breaks.partition_point(|(l, _)| *l <= line) {
            0 => line.saturating_sub(1),
            i => {
                let (l, row) = breaks[i - 1];
                row + (line - l)
            }
        }
    }
}

/// The most bytes of text [`CsvText`] hands over at once.
const BLOCK: usize = 1 << 20;

/// A Parquet file as CSV text (a header row, then one record per row), produced one row group at a time as it
/// is read: a CSV-style log written as Parquet goes through the same parser as its CSV export.
pub struct CsvText {
    rows: ParquetRows,
    next_group: usize,
    buffer: Vec<u8>,
    position: usize,
    /// The CSV line the next record starts on, and its row.
    line: u64,
    row: u64,
    lines: Arc<RowLines>,
    progress: indicatif::ProgressBar,
}

impl CsvText {
    pub fn new(rows: ParquetRows, progress: indicatif::ProgressBar) -> CsvText {
        let mut header = csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(Vec::new());
        header.write_record(&rows.columns).expect("writing to memory");
        let buffer = header.into_inner().expect("writing to memory");
        CsvText { rows, next_group: 0, buffer, position: 0, line: 2, row: 1, lines: Arc::new(RowLines::default()), progress }
    }

    /// Turns the text's line numbers back into row numbers.
    pub fn row_lines(&self) -> Arc<RowLines> {
        Arc::clone(&self.lines)
    }

    fn next_group(&mut self) -> Result<()> {
        let group = self.next_group;
        self.next_group += 1;
        let (_, columns) = self.rows.group(group)?;
        self.buffer.clear();
        self.position = 0;
        let mut writer = csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(std::mem::take(&mut self.buffer));
        let mut cells: Vec<_> = columns.iter().map(|c| c.iter()).collect();
        let rows = columns.first().map_or(0, |c| c.len());
        let mut record = csv::StringRecord::new();
        let mut breaks = Vec::new();
        for _ in 0..rows {
            record.clear();
            let mut newlines = 0;
            for cell in cells.iter_mut() {
                let text = cell.next().flatten().unwrap_or("");
                newlines += memchr::memchr_iter(b'\n', text.as_bytes()).count() as u64;
                record.push_field(text);
            }
            // A record that is one empty cell is written `""` (an empty line would be skipped).
            writer.write_record(&record).map_err(|e| Error::input(&self.rows.path, e.to_string()))?;
            self.line += 1 + newlines;
            self.row += 1;
            if newlines > 0 {
                breaks.push((self.line, self.row));
            }
        }
        self.buffer = writer.into_inner().map_err(|e| Error::input(&self.rows.path, e.to_string()))?;
        if !breaks.is_empty() {
            self.lines.breaks.lock().unwrap_or_else(|p| p.into_inner()).extend(breaks);
        }
        self.progress.inc(self.rows.group_bytes(group));
        Ok(())
    }
}

impl std::io::Read for CsvText {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let available = std::io::BufRead::fill_buf(self)?;
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        std::io::BufRead::consume(self, n);
        Ok(n)
    }
}

impl std::io::BufRead for CsvText {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        while self.position >= self.buffer.len() && self.next_group < self.rows.groups() {
            self.next_group().map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string()))?;
        }
        // At most a block at a time, as a file is read: a reader cutting pieces at what it is given then
        // holds pieces of its own size, not a row group's text each.
        let start = self.position.min(self.buffer.len());
        Ok(&self.buffer[start..(start + BLOCK).min(self.buffer.len())])
    }

    fn consume(&mut self, amount: usize) {
        self.position = (self.position + amount).min(self.buffer.len());
    }
}

/// Writes `frame` as a Parquet file with row groups of `group_rows` rows (zstd, as polars writes by default;
/// the synthetic cases and tests write their Parquet tables and logs with it).
pub fn write_parquet(path: &Path, frame: &DataFrame, group_rows: usize) -> Result<()> {
    let failed = |e: polars::prelude::PolarsError| Error::input(path, format!("cannot write Parquet: {}", one_line(e)));
    let file = std::fs::File::create(path).map_err(|source| Error::Write { path: path.to_path_buf(), source })?;
    let mut writer = polars_io::prelude::ParquetWriter::new(file).batched(frame.schema()).map_err(failed)?;
    let mut offset = 0;
    while offset < frame.height() {
        let mut group = frame.slice(offset as i64, group_rows.max(1));
        group.rechunk_mut_par();
        writer.write_batch(&group).map_err(failed)?;
        offset += group_rows.max(1);
    }
    writer.finish().map_err(failed)?;
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use polars::prelude::{Column, NamedFrom};

    /// Writes `frame` as Parquet with row groups of `group_rows` rows.
    pub(crate) fn write(path: &Path, frame: &mut DataFrame, group_rows: usize) {
        write_parquet(path, frame, group_rows).unwrap();
    }

    fn rows_of(path: &Path) -> Vec<(u64, Vec<String>)> {
        let mut out = Vec::new();
        ParquetRows::open(path)
            .unwrap()
            .for_each_row(|line, row| {
                out.push((line, row.iter().map(str::to_string).collect()));
                Ok(())
            })
            .unwrap();
        out
    }

    #[test]
    fn cells_are_written_as_a_csv_export_holds_them_row_group_by_row_group() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.parquet");
        let mut frame = DataFrame::new_infer_height(vec![
            Column::new("id".into(), [Some(1001i64), Some(7), None]),
            Column::new("score".into(), [Some(1001.0f64), Some(2.5), None]),
            Column::new("name".into(), [Some("Ann\nLee"), None, Some("Zoë")]),
            Column::new("vip".into(), [Some(true), Some(false), None]),
        ])
        .unwrap();
        write(&path, &mut frame, 2);
        let table = ParquetRows::open(&path).unwrap();
        assert_eq!(table.columns, ["id", "score", "name", "vip"]);
        assert_eq!((table.rows(), table.groups()), (3, 2));
        let rows = rows_of(&path);
        let cells = |r: &[&str]| r.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            rows,
            [(1, cells(&["1001", "1001", "Ann\nLee", "true"])), (2, cells(&["7", "2.5", "", "false"])), (3, cells(&["", "", "Zoë", ""]))]
        );
    }

    #[test]
    fn times_with_a_zone_are_utc_and_without_one_are_wall_times() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.parquet");
        let micros = 1_559_556_000_123_000i64; // 2019-06-03T10:00:00.123Z
        let plain = Series::new("local".into(), [micros]).cast(&DataType::Datetime(TimeUnit::Microseconds, None)).unwrap();
        let utc = Series::new("utc".into(), [micros])
            .cast(&DataType::Datetime(TimeUnit::Microseconds, Some(polars::prelude::TimeZone::UTC)))
            .unwrap();
        let day = Series::new("day".into(), [18050i32]).cast(&DataType::Date).unwrap();
        let mut frame = DataFrame::new_infer_height(vec![plain.into(), utc.into(), day.into()]).unwrap();
        write(&path, &mut frame, 10);
        let rows = rows_of(&path);
        assert_eq!(rows[0].1, ["2019-06-03 10:00:00.123", "2019-06-03T10:00:00.123Z", "2019-06-03"]);
    }

    #[test]
    fn csv_text_lines_turn_back_into_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.parquet");
        let mut frame = DataFrame::new_infer_height(vec![
            Column::new("user".into(), ["a", "b", "c", "d"]),
            Column::new("query".into(), ["SELECT 1", "SELECT\n*\nFROM t", "x", "y\nz"]),
        ])
        .unwrap();
        write(&path, &mut frame, 3);
        let mut text = CsvText::new(ParquetRows::open(&path).unwrap(), indicatif::ProgressBar::hidden());
        let lines = text.row_lines();
        let mut out = String::new();
        std::io::Read::read_to_string(&mut text, &mut out).unwrap();
        assert_eq!(out, "user,query\na,SELECT 1\nb,\"SELECT\n*\nFROM t\"\nc,x\nd,\"y\nz\"\n");
        // Rows start on lines 2, 3, 6 and 7.
        let rows: Vec<u64> = [2, 3, 6, 7].iter().map(|l| lines.row_of(*l)).collect();
        assert_eq!(rows, [1, 2, 3, 4]);
    }

    #[test]
    fn a_file_that_is_not_parquet_or_cut_short_is_one_line_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.parquet");
        let mut frame = DataFrame::new_infer_height(vec![Column::new("id".into(), [1i64, 2, 3])]).unwrap();
        write(&path, &mut frame, 10);
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
        let message = ParquetRows::open(&path).err().unwrap().to_string();
        assert!(message.starts_with(&format!("{}: not a readable Parquet file", path.display())), "{message}");
        assert!(!message.contains('\n'), "{message}");
    }
}
