//! Reading the case's tables (customers and linked tables): CSV or TSV, UTF-8 with or without BOM,
//! CRLF or LF, quoted fields with newlines, plain/gzip/zstd. Streamed row by row.

use std::path::{Path, PathBuf};

use crate::encoding::TextEncoding;
use crate::error::{Error, Result};
use crate::ingest::lines::NewlineTracking;
use crate::input;

/// A table file: its path, delimiter and header.
#[derive(Clone, Debug)]
pub struct TableFile {
    pub path: PathBuf,
    pub delimiter: u8,
    pub columns: Vec<String>,
    /// The file's character encoding (transcoded to UTF-8 as it is read).
    pub encoding: TextEncoding,
}

impl TableFile {
    /// Opens `path` and reads its header. The delimiter is a tab for `.tsv`/`.tab` names, or when the
    /// header has tabs and no commas; otherwise a comma.
    pub fn open(path: &Path) -> Result<TableFile> {
        TableFile::open_encoded(path, TextEncoding::UTF8)
    }

    /// As [`TableFile::open`], for a file in `encoding`.
    pub fn open_encoded(path: &Path, encoding: TextEncoding) -> Result<TableFile> {
        let sample = input::sample_encoded(path, 64 * 1024, encoding)?;
        if sample.is_empty() {
            return Err(Error::input(path, "the table is empty (no header row)"));
        }
        let delimiter = delimiter_for(path, &sample);
        let mut reader = csv_reader(input::open_encoded(path, encoding, &indicatif::ProgressBar::hidden())?, delimiter);
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
        Ok(TableFile { path: path.to_path_buf(), delimiter, columns, encoding })
    }

    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }

    /// Streams every data row; `visit` gets the row's line number (1 = header) and its fields.
    /// A row with the wrong number of fields or invalid UTF-8 is an error naming line and column: a
    /// customer table that cannot be read exactly must not produce a notification list.
    pub fn for_each_row(&self, mut visit: impl FnMut(u64, &csv::StringRecord) -> Result<()>) -> Result<()> {
        let (tracked, lines) = NewlineTracking::new(input::open_encoded(&self.path, self.encoding, &indicatif::ProgressBar::hidden())?);
        let mut reader = csv::ReaderBuilder::new().delimiter(self.delimiter).flexible(true).has_headers(true).from_reader(tracked);
        // The header first, so that an error in the first data row is placed on its own line (the csv
        // reader's position before that row would otherwise be the header's).
        reader.byte_headers().map_err(|e| csv_error(&self.path, e, Some(1)))?;
        let mut bytes = csv::ByteRecord::new();
        loop {
            match reader.read_byte_record(&mut bytes) {
                Ok(false) => return Ok(()),
                Ok(true) => {
                    let start = bytes.position().map(|p| p.byte()).unwrap_or(0);
                    let line = lines.record_line(start, reader.position().byte(), bytes.as_slice());
                    if bytes.len() != self.columns.len() {
                        return Err(Error::input_at(
                            &self.path,
                            line,
                            bytes.len().min(self.columns.len()) as u64 + 1,
                            format!("row has {} fields, the header has {}", bytes.len(), self.columns.len()),
                        ));
                    }
                    let record = csv::StringRecord::from_byte_record(std::mem::take(&mut bytes))
                        .map_err(|e| Error::input_at(&self.path, line, e.utf8_error().field() as u64 + 1, "field is not valid UTF-8"))?;
                    visit(line, &record)?;
                    bytes = record.into_byte_record();
                }
                Err(e) => {
                    let line = e.position().map(|p| lines.line_at(p.byte()));
                    return Err(csv_error(&self.path, e, line));
                }
            }
        }
    }
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
    let column = match err.kind() {
        csv::ErrorKind::Utf8 { err, .. } => err.field() as u64 + 1,
        _ => 0,
    };
    let message = match err.kind() {
        csv::ErrorKind::Utf8 { .. } => "field is not valid UTF-8".to_string(),
        csv::ErrorKind::Io(e) => format!("read error: {e}"),
        _ => err.to_string(),
    };
    Error::input_at(path, line, column, message)
}

#[cfg(test)]
mod tests {
    use super::*;

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
