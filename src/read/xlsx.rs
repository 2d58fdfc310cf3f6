//! Excel workbooks (`.xlsx`, a CRM or report export) as rows of text cells, one sheet, read cell by cell
//! (calamine). The sheet's first row with a value is the header; its columns run from its first to its last
//! named cell. A row's line is its row number as Excel shows it.
//!
//! Cells are read as they hold them: text as written; a number as a CSV export would write it (`1001`, not
//! `1001.0`: a key typed as a number equals the same key typed as text); a date cell as the date
//! (`2019-06-03`, or `2019-06-03 10:15:00` with a time of day), not as Excel's day count; a duration as
//! `[h]:mm:ss`; `true`/`false`; an error cell as its code (`#N/A`); an empty cell as an empty cell.

use std::io::BufReader;
use std::path::{Path, PathBuf};

use calamine::{DataRef, Reader, Xlsx};

use crate::error::{Error, Result};
use crate::read::parquet::one_line;

/// Whether a file starting with `head` is a zip archive (an `.xlsx` workbook is one).
pub fn is_zip(head: &[u8]) -> bool {
    head.starts_with(b"PK\x03\x04")
}

/// One sheet of a workbook, its header read.
#[derive(Clone, Debug)]
pub struct XlsxRows {
    path: PathBuf,
    pub sheet: String,
    pub columns: Vec<String>,
    /// The header's row and its first column (0-based, as calamine counts).
    header_row: u32,
    first_column: u32,
}

type Workbook = Xlsx<BufReader<std::fs::File>>;

fn open_workbook(path: &Path) -> Result<Workbook> {
    let file = std::fs::File::open(path).map_err(|source| Error::Read { path: path.to_path_buf(), source })?;
    Xlsx::new(BufReader::new(file)).map_err(|e| Error::input(path, format!("not a readable Excel workbook (.xlsx): {}", one_line(e))))
}

/// `A`, `B`, ..., `Z`, `AA`: a 0-based column as Excel names it.
pub fn column_letters(mut column: u32) -> String {
    let mut letters = Vec::new();
    loop {
        letters.push(b'A' + (column % 26) as u8);
        if column < 26 {
            break;
        }
        column = column / 26 - 1;
    }
    letters.reverse();
    String::from_utf8(letters).expect("ASCII")
}

impl XlsxRows {
    /// Opens `sheet` of the workbook (`None`: its only sheet) and reads its header. A missing sheet, or
    /// several sheets and none named, is an error naming the sheets there are.
    pub fn open(path: &Path, sheet: Option<&str>) -> Result<XlsxRows> {
        let mut workbook = open_workbook(path)?;
        let names = workbook.sheet_names();
        let listed = || names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ");
        let sheet = match sheet {
            Some(wanted) => names.iter().find(|n| n.as_str() == wanted).cloned().ok_or_else(|| {
                Error::input(path, format!("the workbook has no sheet `{wanted}` (its sheets: {}): set `sheet` to one of them", listed()))
            })?,
            None if names.len() == 1 => names[0].clone(),
            None if names.is_empty() => return Err(Error::input(path, "the workbook has no sheet")),
            None => return Err(Error::input(path, format!("the workbook has several sheets ({}): say which holds the table with `sheet = \"...\"`", listed()))),
        };
        let mut cells = workbook.worksheet_cells_reader(&sheet).map_err(|e| Error::input(path, format!("sheet `{sheet}`: {}", one_line(e))))?;
        let mut header: Vec<(u32, String)> = Vec::new();
        let mut header_row = None;
        while let Some(cell) = cells.next_cell().map_err(|e| Error::input(path, format!("sheet `{sheet}`: {}", one_line(e))))? {
            let (row, column) = cell.get_position();
            if header_row.is_some_and(|r| r != row) {
                break;
            }
            let text = cell_text(cell.get_value());
            if text.trim().is_empty() {
                continue;
            }
            header_row = Some(row);
            header.push((column, text.trim().to_string()));
        }
        let Some(header_row) = header_row else {
            return Err(Error::input(path, format!("sheet `{sheet}` is empty (no header row)")));
        };
        let first_column = header[0].0;
        let mut columns: Vec<String> = Vec::new();
        for (column, name) in header {
            let expected = first_column + columns.len() as u32;
            if column != expected {
                let message = format!("sheet `{sheet}`: column {} of the header row has no name", column_letters(expected));
                return Err(Error::input_at(path, header_row as u64 + 1, expected as u64 + 1, message));
            }
            if columns.contains(&name) {
                let message = format!("sheet `{sheet}`: column `{name}` appears twice in the header");
                return Err(Error::input_at(path, header_row as u64 + 1, column as u64 + 1, message));
            }
            columns.push(name);
        }
        drop(cells);
        Ok(XlsxRows { path: path.to_path_buf(), sheet, columns, header_row, first_column })
    }

    /// Calls `visit` with every data row's number (as Excel shows it) and its cells (one per column), in
    /// sheet order. Rows with no value are skipped; a value outside the header's columns is an error.
    pub fn for_each_row(&self, mut visit: impl FnMut(u64, &csv::StringRecord) -> Result<()>) -> Result<()> {
        let mut workbook = open_workbook(&self.path)?;
        let sheet_error = |e: calamine::XlsxError| Error::input(&self.path, format!("sheet `{}`: {}", self.sheet, one_line(e)));
        let mut cells = workbook.worksheet_cells_reader(&self.sheet).map_err(sheet_error)?;
        let width = self.columns.len();
        let mut values: Vec<String> = vec![String::new(); width];
        let mut current: Option<u32> = None;
        let mut filled = false;
        let mut record = csv::StringRecord::new();
        let mut flush = |row: u32, values: &mut Vec<String>, filled: &mut bool| -> Result<()> {
            if std::mem::take(filled) {
                record.clear();
                values.iter().for_each(|v| record.push_field(v));
                visit(row as u64 + 1, &record)?;
            }
            values.iter_mut().for_each(String::clear);
            Ok(())
        };
        while let Some(cell) = cells.next_cell().map_err(sheet_error)? {
            let (row, column) = cell.get_position();
            if row <= self.header_row {
                continue;
            }
            if current != Some(row) {
                if let Some(previous) = current {
                    flush(previous, &mut values, &mut filled)?;
                }
                current = Some(row);
            }
            let text = cell_text(cell.get_value());
            if text.is_empty() {
                continue;
            }
            let Some(index) = column.checked_sub(self.first_column).map(|c| c as usize).filter(|c| *c < width) else {
                let message = format!("sheet `{}`: a value in column {}, outside the header's columns", self.sheet, column_letters(column));
                return Err(Error::input_at(&self.path, row as u64 + 1, column as u64 + 1, message));
            };
            values[index] = text;
            filled = true;
        }
        if let Some(previous) = current {
            flush(previous, &mut values, &mut filled)?;
        }
        Ok(())
    }
}

/// A cell as text (see the module's notes).
pub fn cell_text(value: &DataRef<'_>) -> String {
    match value {
        DataRef::Empty => String::new(),
        DataRef::String(s) => s.clone(),
        DataRef::SharedString(s) => s.to_string(),
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) => crate::read::parquet::float_text(*f),
        DataRef::Bool(b) => b.to_string(),
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::Error(e) => e.to_string(),
        DataRef::DateTime(d) if d.is_duration() => {
            let seconds = (d.as_f64() * 86_400.0).round() as i64;
            format!("{}:{:02}:{:02}", seconds / 3600, seconds % 3600 / 60, seconds % 60)
        }
        DataRef::DateTime(d) => {
            // Excel keeps milliseconds; calamine's parts may carry 1000 of them (10:14:59 and 1000 ms).
            let (year, month, day, hour, minute, second, milli) = d.to_ymd_hms_milli();
            let Some(time) = chrono::NaiveDate::from_ymd_opt(year as i32, month as u32, day as u32)
                .and_then(|date| date.and_hms_opt(hour as u32, minute as u32, second as u32))
                .map(|t| t + chrono::Duration::milliseconds(milli as i64))
            else {
                return crate::read::parquet::float_text(d.as_f64());
            };
            let format = match (d.as_f64() < 1.0, time.time() == chrono::NaiveTime::MIN, time.and_utc().timestamp_subsec_millis()) {
                (true, _, 0) => "%H:%M:%S",
                (true, _, _) => "%H:%M:%S%.3f",
                (false, true, _) => "%Y-%m-%d",
                (false, false, 0) => "%Y-%m-%d %H:%M:%S",
                (false, false, _) => "%Y-%m-%d %H:%M:%S%.3f",
            };
            time.format(format).to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_named_as_excel_names_them() {
        let names: Vec<String> = [0, 1, 25, 26, 27, 51, 52, 701, 702].iter().map(|c| column_letters(*c)).collect();
        assert_eq!(names, ["A", "B", "Z", "AA", "AB", "AZ", "BA", "ZZ", "AAA"]);
    }

    #[test]
    fn cells_as_they_hold_them() {
        use calamine::{ExcelDateTime, ExcelDateTimeType};
        let date = |v: f64, t: ExcelDateTimeType| DataRef::DateTime(ExcelDateTime::new(v, t, false));
        assert_eq!(cell_text(&DataRef::Float(1001.0)), "1001");
        assert_eq!(cell_text(&DataRef::Float(2.5)), "2.5");
        assert_eq!(cell_text(&DataRef::Float(4155550100.0)), "4155550100");
        assert_eq!(cell_text(&DataRef::Int(7)), "7");
        assert_eq!(cell_text(&date(43619.0, ExcelDateTimeType::DateTime)), "2019-06-03");
        assert_eq!(cell_text(&date(43619.4270833333, ExcelDateTimeType::DateTime)), "2019-06-03 10:15:00");
        assert_eq!(cell_text(&date(0.5, ExcelDateTimeType::DateTime)), "12:00:00");
        assert_eq!(cell_text(&date(1.5, ExcelDateTimeType::TimeDelta)), "36:00:00");
        assert_eq!(cell_text(&DataRef::Error(calamine::CellErrorType::NA)), "#N/A");
        assert_eq!(cell_text(&DataRef::Empty), "");
    }
}
