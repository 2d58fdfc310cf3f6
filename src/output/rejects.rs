//! The rejects file (`rejects.csv`): every record that could not be read, written as collect meets it, with
//! file, line, column, reason and the raw text (cells neutralised).

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::ingest::event::Rejection;
use crate::output::files::{neutralise, AtomicFile};
use crate::stages::collect::RejectSink;

/// Writes rejected records as they come: `file,line,column,reason,raw`.
pub struct RejectsWriter {
    writer: csv::Writer<AtomicFile>,
}

impl RejectsWriter {
    pub fn create(path: &Path) -> Result<RejectsWriter> {
        let mut writer = csv::Writer::from_writer(AtomicFile::create(path)?);
        writer.write_record(["file", "line", "column", "reason", "raw"]).map_err(|e| write_error(path, e))?;
        Ok(RejectsWriter { writer })
    }

    fn write(&mut self, file: &str, r: &Rejection) -> Result<()> {
        let line = r.line.to_string();
        let column = r.column.to_string();
        let row = [neutralise(file), line.into(), column.into(), neutralise(&r.reason), neutralise(&r.raw)];
        let path = self.writer.get_ref().path().to_path_buf();
        self.writer.write_record(row.iter().map(|c| c.as_bytes())).map_err(|e| write_error(&path, e))
    }

    pub fn commit(self) -> Result<()> {
        self.finish()?.commit()
    }

    /// The complete file, not yet committed.
    pub fn finish(self) -> Result<AtomicFile> {
        self.writer.into_inner().map_err(|e| Error::Write { path: PathBuf::new(), source: e.into_error() })
    }
}

fn write_error(path: &Path, e: csv::Error) -> Error {
    Error::Write { path: path.to_path_buf(), source: std::io::Error::other(e.to_string()) }
}

impl RejectSink for RejectsWriter {
    fn reject(&mut self, file: &str, rejection: &Rejection) -> Result<()> {
        self.write(file, rejection)
    }
}
