//! Output files: written to a temporary file beside the target and renamed into place only when complete,
//! never overwriting an existing file without `--force`; and CSV cells neutralised against spreadsheet
//! formula execution.

use std::collections::BTreeSet;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use regex::Regex;
use sha2::{Digest, Sha256};

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
    /// `None` once committed.
    writer: Option<BufWriter<tempfile::NamedTempFile>>,
    /// The temporary file's path, registered in [`PENDING`] until committed or dropped.
    temp_path: PathBuf,
    hasher: Sha256,
    bytes: u64,
    /// Bytes before this offset the system was asked to start putting on disk (see `start_writeback`).
    writeback_from: u64,
}

/// Temporary files not yet committed: an interruption (Ctrl-C, SIGTERM) removes them all (see
/// [`install_interrupt_handler`]). Commits happen while holding this lock, so an interruption sees either
/// all of a run's outputs renamed into place or none.
static PENDING: Mutex<BTreeSet<PathBuf>> = Mutex::new(BTreeSet::new());

fn pending() -> std::sync::MutexGuard<'static, BTreeSet<PathBuf>> {
    PENDING.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// On Ctrl-C or SIGTERM: removes every output still being written, says so on stderr and exits with
/// [`exit::INTERRUPTED`](crate::error::exit::INTERRUPTED) (130). Outputs already renamed into place stay (they are complete).
pub fn install_interrupt_handler() {
    let result = ctrlc::set_handler(|| {
        let mut files = pending();
        let removed = files.len();
        for path in files.iter() {
            let _ = std::fs::remove_file(path);
        }
        files.clear();
        eprintln!("breachscope: interrupted; {removed} unfinished output file(s) removed, no partial output left");
        std::process::exit(crate::error::exit::INTERRUPTED);
    });
    if let Err(e) = result {
        eprintln!("breachscope: warning: cannot watch for Ctrl-C/SIGTERM: {e}");
    }
}

/// Commits `files` together: an interruption cannot fall between two of the renames. On an error the
/// files not yet renamed are removed.
pub fn commit_all(files: Vec<AtomicFile>) -> Result<()> {
    let mut guard = pending();
    let mut first_error = None;
    let mut left = Vec::new();
    for mut file in files {
        if first_error.is_some() {
            left.push(file);
        } else if let Err(e) = file.commit_locked(&mut guard) {
            first_error = Some(e);
        }
    }
    drop(guard);
    drop(left); // their temporary files are removed
    first_error.map_or(Ok(()), Err)
}

#[cfg(unix)]
fn private_permissions() -> std::fs::Permissions {
    use std::os::unix::fs::PermissionsExt;
    std::fs::Permissions::from_mode(0o600)
}

#[cfg(not(unix))]
fn private_permissions() -> std::fs::Permissions {
    std::fs::File::open(".").and_then(|f| f.metadata()).map(|m| m.permissions()).expect("current folder readable")
}

impl AtomicFile {
    pub fn create(path: &Path) -> Result<AtomicFile> {
        let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let mut guard = pending();
        let temp = tempfile::Builder::new()
            .prefix(".breachscope-")
            .suffix(".partial")
            .permissions(private_permissions())
            .tempfile_in(dir)
            .map_err(|source| Error::Write { path: path.to_path_buf(), source })?;
        let temp_path = temp.path().to_path_buf();
        guard.insert(temp_path.clone());
        Ok(AtomicFile {
            path: path.to_path_buf(),
            writer: Some(BufWriter::with_capacity(1 << 16, temp)),
            temp_path,
            hasher: Sha256::new(),
            bytes: 0,
            writeback_from: 0,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// SHA-256 (lower-case hex) and size in bytes of everything written so far.
    pub fn digest(&self) -> (String, u64) {
        (format!("{:x}", self.hasher.clone().finalize()), self.bytes)
    }

    /// Writes what is buffered and has the system put the file on disk now, before [`commit_all`] renames
    /// it (which syncs it again, by then with nothing left to write): a long list's disk writes then
    /// overlap the rest of the writing instead of holding up the renames (10M benchmark: 32 ms of 60).
    pub fn sync_now(&mut self) -> std::io::Result<()> {
        let writer = self.writer()?;
        writer.flush()?;
        writer.get_ref().as_file().sync_all()
    }

    /// Every few megabytes written, asks the system to start putting them on disk: the sync before the rename
    /// then waits for the last few only (the people list's sync was 27 ms of the 1M benchmark's 125 ms of
    /// writing, after it was written).
    #[cfg(target_os = "linux")]
    fn start_writeback(&mut self) {
        use std::os::fd::AsRawFd;
        const EVERY: u64 = 4 << 20;
        let Some(writer) = self.writer.as_ref() else { return };
        let written = self.bytes - writer.buffer().len() as u64;
        if written - self.writeback_from < EVERY {
            return;
        }
        // SAFETY: a system call on the open file's descriptor, touching none of this process's memory. It
        // only starts the writing: its outcome is that of the sync, which follows.
        unsafe {
            libc::sync_file_range(
                writer.get_ref().as_file().as_raw_fd(),
                self.writeback_from as libc::off64_t,
                (written - self.writeback_from) as libc::off64_t,
                libc::SYNC_FILE_RANGE_WRITE,
            );
        }
        self.writeback_from = written;
    }

    pub fn commit(mut self) -> Result<()> {
        let mut guard = pending();
        self.commit_locked(&mut guard)
    }

    fn commit_locked(&mut self, pending: &mut BTreeSet<PathBuf>) -> Result<()> {
        let path = self.path.clone();
        let writer = self.writer.take().expect("committed once");
        pending.remove(&self.temp_path);
        let temp = writer.into_inner().map_err(|e| Error::Write { path: path.clone(), source: e.into_error() })?;
        temp.as_file().sync_all().map_err(|source| Error::Write { path: path.clone(), source })?;
        temp.persist(&path).map_err(|e| Error::Write { path: path.clone(), source: e.error })?;
        Ok(())
    }

    fn writer(&mut self) -> std::io::Result<&mut BufWriter<tempfile::NamedTempFile>> {
        self.writer.as_mut().ok_or_else(|| std::io::Error::other("output already committed"))
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if let Some(writer) = self.writer.take() {
            let mut guard = pending();
            drop(writer); // removes the temporary file
            guard.remove(&self.temp_path);
        }
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.writer()?.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        #[cfg(target_os = "linux")]
        self.start_writeback();
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.writer()?.flush()
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
    // (An ASCII cell, every phone number written: the pattern read without the regex, about a tenth of
    // writing the people list.)
    let plain = if cell.is_ascii() {
        plain_number_or_phone(cell.as_bytes())
    } else {
        SAFE.get_or_init(|| Regex::new(SAFE_PATTERN).expect("static regex")).is_match(cell)
    };
    if plain || is_phone_list(cell) {
        cell.into()
    } else {
        format!("'{cell}").into()
    }
}

/// A plain number (`-12.5`) or a phone number (`+1 (555) 010-0199`): a cell left as it is.
const SAFE_PATTERN: &str = r"^(?:[+-]?\d+(?:\.\d+)?|\+\d[\d ().\-]{3,}\d)$";

/// [`SAFE_PATTERN`]'s answer for an ASCII cell (where `\d` is an ASCII digit).
fn plain_number_or_phone(cell: &[u8]) -> bool {
    let digits = |bytes: &[u8]| !bytes.is_empty() && bytes.iter().all(u8::is_ascii_digit);
    // `[+-]?\d+(?:\.\d+)?`
    let body = cell.strip_prefix(b"+").or_else(|| cell.strip_prefix(b"-")).unwrap_or(cell);
    let number = match body.iter().position(|b| *b == b'.') {
        Some(dot) => digits(&body[..dot]) && digits(&body[dot + 1..]),
        None => digits(body),
    };
    // `\+\d[\d ().\-]{3,}\d`
    let phone = match cell {
        [b'+', first, middle @ .., last] => {
            first.is_ascii_digit() && last.is_ascii_digit() && middle.len() >= 3 && middle.iter().all(|b| b.is_ascii_digit() || b" ().-".contains(b))
        }
        _ => false,
    };
    number || phone
}

/// A cell whose every `;`-separated part is a phone number (a person's numbers, merged): written as it
/// is, so mail merge reads it. A part starting with `+` must read as an international number
/// (`phonenumber`); every part holds only a phone number's characters and 6 to 15 digits.
fn is_phone_list(cell: &str) -> bool {
    let parts: Vec<&str> = cell.split(';').map(str::trim).collect();
    parts.len() > 1
        && parts.iter().all(|part| {
            let digits = part.chars().filter(char::is_ascii_digit).count();
            (6..=15).contains(&digits)
                && part.chars().all(|c| c.is_ascii_digit() || " +()-./".contains(c))
                && part.chars().skip(1).all(|c| c != '+')
                && (!part.starts_with('+') || is_international(part))
        })
}

/// Whether `part` (starting with `+`) reads as an international number. North American numbers in their
/// common shapes are known without the parser, whose regular expressions took a tenth of a run's writing
/// (`nanp_e164` gives the parser's answer for them; its property test checks that).
fn is_international(part: &str) -> bool {
    crate::legal::people::nanp_e164(part, "").is_some() || phonenumber::parse(None, part).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Issue 17 item 13: a cell of several phone numbers is left as it is (a stray `'` breaks mail merge);
    /// anything else starting with `+ - = @` stays neutralised.
    #[test]
    fn phone_lists_are_not_neutralised_13() {
        assert_eq!(neutralise("+1 937-555-0101; +1 717-555-0102"), "+1 937-555-0101; +1 717-555-0102");
        assert_eq!(neutralise("+1 212-555-0123; 020 7946 0960"), "+1 212-555-0123; 020 7946 0960");
        assert_eq!(neutralise("+1-555 Ltd @example"), "'+1-555 Ltd @example");
        assert_eq!(neutralise("+1 937-555-0101; =cmd|' /C calc'!A0"), "'+1 937-555-0101; =cmd|' /C calc'!A0");
        assert_eq!(neutralise("+1 937-555-0101; @SUM(A1)"), "'+1 937-555-0101; @SUM(A1)");
        assert_eq!(neutralise("-1; -2"), "'-1; -2");
        assert_eq!(neutralise("+1+1; +2"), "'+1+1; +2");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]
        /// An ASCII cell's reading without the regex is the regex's.
        #[test]
        fn plain_numbers_and_phones_are_read_as_the_pattern_reads_them(
            cell in proptest::collection::vec(prop_oneof![
                Just('+'), Just('-'), Just('.'), Just('0'), Just('7'), Just(' '), Just('('), Just(')'), Just('a'), Just(';'), Just('='),
            ], 0..12).prop_map(|chars| chars.into_iter().collect::<String>()),
        ) {
            let regex = Regex::new(SAFE_PATTERN).unwrap();
            prop_assert_eq!(plain_number_or_phone(cell.as_bytes()), regex.is_match(&cell), "{:?}", cell);
        }
    }

    /// A digit of another script is a `\d` for the pattern: such a cell is read by the regex.
    #[test]
    fn cells_with_other_digits_are_read_by_the_regex() {
        assert_eq!(neutralise("+\u{0663}\u{0664}\u{0665}\u{0666}\u{0667}"), "+\u{0663}\u{0664}\u{0665}\u{0666}\u{0667}");
        assert_eq!(neutralise("-\u{0663}"), "-\u{0663}");
        assert_eq!(neutralise("-\u{0663}x"), "'-\u{0663}x");
    }

    /// The shortcut for North American numbers gives the parser's answer.
    #[test]
    fn international_numbers_without_the_parser_agree_with_it() {
        for part in ["+1 937-555-0101", "+19375550101", "+1 (937) 555-0101", "+1.937.555.0101", "+1 0375550101", "+1 937-555-010", "+44 20 7946 0958", "+999 1234567"] {
            assert_eq!(is_international(part), phonenumber::parse(None, part).is_ok(), "{part}");
        }
    }

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
