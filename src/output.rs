//! Output files: written to a temporary file beside the target and renamed into place only when complete,
//! never overwriting an existing file without `--force`; and CSV cells neutralised against spreadsheet
//! formula execution.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use regex::Regex;

use crate::error::{Error, Result};

/// Refuses to go on when `path` exists and `force` is off. Called for every output before any work.
pub fn check_writable(path: &Path, force: bool) -> Result<()> {
    if path.exists() && !force {
        return Err(Error::OutputExists { path: path.to_path_buf() });
    }
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        if !parent.is_dir() {
            return Err(Error::input(path, "the folder for this output does not exist"));
        }
    }
    Ok(())
}

/// A file being written; it appears at `path` only on [`AtomicFile::commit`]. Dropped uncommitted, it
/// leaves nothing behind. Created with mode 0600 (it holds personal data).
pub struct AtomicFile {
    path: PathBuf,
    writer: BufWriter<tempfile::NamedTempFile>,
}

impl AtomicFile {
    pub fn create(path: &Path) -> Result<AtomicFile> {
        let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let temp = tempfile::Builder::new()
            .prefix(".breachscope-")
            .suffix(".partial")
            .tempfile_in(dir)
            .map_err(|source| Error::Write { path: path.to_path_buf(), source })?;
        Ok(AtomicFile { path: path.to_path_buf(), writer: BufWriter::with_capacity(1 << 16, temp) })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn commit(self) -> Result<()> {
        let path = self.path;
        let temp = self.writer.into_inner().map_err(|e| Error::Write { path: path.clone(), source: e.into_error() })?;
        temp.as_file().sync_all().map_err(|source| Error::Write { path: path.clone(), source })?;
        temp.persist(&path).map_err(|e| Error::Write { path: path.clone(), source: e.error })?;
        Ok(())
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.writer.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.writer.flush()
    }
}

/// Writes `bytes` to `path` atomically.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut file = AtomicFile::create(path)?;
    file.write_all(bytes).map_err(|source| Error::Write { path: path.to_path_buf(), source })?;
    file.commit()
}

/// A CSV cell made safe for spreadsheets: a value starting with `=`, `+`, `-`, `@`, tab or CR is prefixed
/// with `'`, unless it is a plain number (`-12.5`) or a phone number (`+1 (555) 010-0199`).
pub fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    static SAFE: OnceLock<Regex> = OnceLock::new();
    let Some(first) = cell.chars().next() else { return cell.into() };
    if !matches!(first, '=' | '+' | '-' | '@' | '\t' | '\r') {
        return cell.into();
    }
    let safe = SAFE.get_or_init(|| Regex::new(r"^(?:[+-]?\d+(?:\.\d+)?|\+\d[\d ().\-]{3,}\d)$").expect("static regex"));
    if safe.is_match(cell) {
        cell.into()
    } else {
        format!("'{cell}").into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_numbers_and_phones_are_not() {
        assert_eq!(neutralise("=HYPERLINK(\"http://x\")"), "'=HYPERLINK(\"http://x\")");
        assert_eq!(neutralise("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralise("+cmd|' /C calc'!A0"), "'+cmd|' /C calc'!A0");
        assert_eq!(neutralise("-2+3"), "'-2+3");
        assert_eq!(neutralise("\tx"), "'\tx");
        assert_eq!(neutralise("-12.5"), "-12.5");
        assert_eq!(neutralise("+1 (555) 010-0199"), "+1 (555) 010-0199");
        assert_eq!(neutralise("+44 20 7946 0958"), "+44 20 7946 0958");
        assert_eq!(neutralise("Ann Lee"), "Ann Lee");
        assert_eq!(neutralise(""), "");
    }

    #[test]
    fn nothing_appears_until_commit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.csv");
        {
            let mut f = AtomicFile::create(&path).unwrap();
            f.write_all(b"partial").unwrap();
        }
        assert!(!path.exists());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        write_atomic(&path, b"done").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"done");
        assert!(check_writable(&path, false).is_err());
        assert!(check_writable(&path, true).is_ok());
    }
}
