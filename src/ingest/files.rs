//! Reading several log files at once: each file is opened, decompressed and parsed on a thread of its
//! own (up to [`in_flight`] files at a time), while the reader still receives every file's records in
//! file order, exactly as if the files were read one after another: all of the first file (its start,
//! its records in order, its end), then all of the second, and so on.
//!
//! Memory stays bounded: a file ahead of the one being handed over waits once its channel holds
//! [`CHANNEL_BATCHES`] batches (a batch is at most [`BATCH_ITEMS`] records or about [`BATCH_BYTES`]
//! bytes). An error stops everything at the point where one-after-another reading would have stopped:
//! the files before it are handed over whole, and the files read ahead are stopped and their records
//! dropped.

use std::collections::VecDeque;
use std::io::{BufRead, Read};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver};

use super::prefilter::AccountsOfInterest;
use crate::ingest::event::{Format, Parsed, ParserSettings};
use crate::read::encoding::TextEncoding;
use crate::error::{Error, Result};
use crate::read::input;
use crate::ui::Ui;

/// Bytes of a file's start read to tell its format and settle its parser.
const SAMPLE: usize = 64 * 1024;
/// Records sent from a file's thread at a time, at most (few in unit tests, to fill channels).
const BATCH_ITEMS: usize = if cfg!(test) { 16 } else { 1024 };
/// About how many bytes of records a batch holds, at most (rejected records carry their raw text, other
/// accounts' tallies their hours).
const BATCH_BYTES: usize = 256 * 1024;
/// Batches a file's channel holds before its thread waits for the reader.
const CHANNEL_BATCHES: usize = if cfg!(test) { 2 } else { 16 };

/// One log file to read.
pub struct LogFile<'a> {
    pub path: &'a Path,
    /// The log's declared format; `None`: told from the content.
    pub format: Option<&'a str>,
    pub encoding: TextEncoding,
    pub settings: &'a ParserSettings,
    /// The progress bar's label.
    pub label: &'a str,
    /// Only the records of this byte range are read (see [`RangeBytes`]).
    pub range: Option<&'a RangeBytes>,
}

/// Bytes of a file's start given with a byte range (its head), when the range starts later: enough to tell
/// the format and read the header.
pub const RANGE_HEAD: usize = SAMPLE;
/// Bytes read past a range's end, at most, for its last record (a quoted field may hold newlines).
pub const RANGE_LOOKAHEAD: usize = 1 << 20;

/// One byte range `[start, end)` of a plain (uncompressed) log file, read by itself (`scan --byte-range`).
/// The range's records are those starting at its first line start: the file's start for `start` 0, else
/// just after the first newline at or after `start`; they end where the next range's start (the first line
/// start at or after `end`), so ranges that tile a file read each record once. Lines are numbered from the
/// range's first line; the merge moves them on (by the earlier ranges' newlines).
#[derive(Debug)]
pub struct RangeBytes {
    /// The file's first bytes (up to [`RANGE_HEAD`]; all of them that `bytes` does not already start with).
    pub head: Vec<u8>,
    pub start: u64,
    pub end: u64,
    /// The file's bytes from `start` on, through the first line start at or after `end` and up to
    /// [`RANGE_LOOKAHEAD`] bytes more (or to the file's end).
    pub bytes: Vec<u8>,
    /// `bytes` reach the file's end.
    pub to_end: bool,
    /// Set once the range is read.
    pub outcome: std::sync::OnceLock<RangeOutcome>,
}

/// What reading a range found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RangeOutcome {
    /// Where its records start and end in the file (the next range's records start at `last`).
    pub first: u64,
    pub last: u64,
    /// Newlines in `first..last`: the lines the next range's numbering is moved on by.
    pub newlines: u64,
    /// Where the record after the range really starts: `last`, unless the range's last record goes on past
    /// `last` (a quoted newline), which the merge then refuses. `None`: at the file's end.
    pub next_record: Option<u64>,
    /// The range reaches the file's end.
    pub to_end: bool,
}

impl RangeBytes {
    /// The offset in `bytes` of the first line start at or after file offset `at` (`at` ≥ `start`), if
    /// `bytes` holds it.
    fn line_start(&self, at: u64) -> Option<usize> {
        if at == 0 {
            return Some(0);
        }
        let from = (at - self.start) as usize;
        if from >= self.bytes.len() {
            return self.to_end.then_some(self.bytes.len());
        }
        match memchr::memchr(b'\n', &self.bytes[from..]) {
            Some(i) => Some(from + i + 1),
            None if self.to_end => Some(self.bytes.len()),
            None => None,
        }
    }

    /// The range's own bytes (`first..last` as offsets into `bytes`), or why they cannot be told.
    pub fn own(&self) -> std::result::Result<(usize, usize), String> {
        let too_long = || format!("no line ends within {RANGE_LOOKAHEAD} bytes after byte {}: a record that long cannot be read in byte ranges; scan the file whole", self.end);
        let first = self.line_start(self.start).ok_or_else(too_long)?;
        let last = if self.end <= self.start { first } else { self.line_start(self.end).ok_or_else(too_long)?.max(first) };
        Ok((first, last))
    }
}

/// What reading a file hands over, in this order: `Start` (once its format is known and its parser
/// made), its records, then `End`. A file that cannot be opened or whose format cannot be told hands
/// over only `End` with the error.
#[derive(Debug)]
pub enum FileItem {
    Start(Format),
    Record(Parsed),
    /// The SHA-256 (hex) and size of the file's bytes on disk, or the error that ended the file.
    End(Result<(String, u64)>),
}

/// How many files are read at once: `BREACHSCOPE_FILES_IN_FLIGHT` if set (1: one after another on the
/// calling thread), else one per core; 1 when `BREACHSCOPE_THREADS=1` (see [`crate::read::pieces::enabled`]).
pub fn in_flight() -> usize {
    static IN_FLIGHT: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *IN_FLIGHT.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        match std::env::var("BREACHSCOPE_FILES_IN_FLIGHT").ok().and_then(|n| n.trim().parse::<usize>().ok()) {
            Some(n) => n.max(1),
            None if crate::read::pieces::enabled() => cores,
            None => 1,
        }
    })
}

/// Reads `files` and calls `visit(index, item)` with each file's items (see [`FileItem`]), file after
/// file in the order given. With `in_flight` above 1 and several files, up to `in_flight` files are read
/// at once, each on its own thread. The first error `visit` returns stops the reading (the files read
/// ahead are stopped, their threads end) and is returned.
pub fn read_in_order(
    files: &[LogFile<'_>],
    interest: Option<AccountsOfInterest<'_>>,
    ui: &Ui,
    in_flight: usize,
    visit: &mut dyn FnMut(usize, FileItem) -> Result<()>,
) -> Result<()> {
    if in_flight <= 1 || files.len() <= 1 {
        read_one_after_another(files, interest, ui, visit)
    } else {
        read_at_once(files, interest, ui, in_flight, visit)
    }
}

/// [`read_in_order`] on the calling thread, one file after another.
fn read_one_after_another(
    files: &[LogFile<'_>],
    interest: Option<AccountsOfInterest<'_>>,
    ui: &Ui,
    visit: &mut dyn FnMut(usize, FileItem) -> Result<()>,
) -> Result<()> {
    let stop = AtomicBool::new(false);
    let bars = Bars::new(ui, files);
    for (index, file) in files.iter().enumerate() {
        let mut failure = None;
        read_file(file, interest, &bars, &stop, &mut |item| {
            if failure.is_none() {
                if let Err(e) = visit(index, item) {
                    failure = Some(e);
                    stop.store(true, Ordering::Relaxed);
                }
            }
        });
        if let Some(e) = failure {
            return Err(e);
        }
    }
    Ok(())
}

/// [`read_in_order`] with up to `in_flight` files read at once, each on a thread of its own that sends
/// its items through a bounded channel; the calling thread hands them to `visit` file after file.
fn read_at_once(
    files: &[LogFile<'_>],
    interest: Option<AccountsOfInterest<'_>>,
    ui: &Ui,
    in_flight: usize,
    visit: &mut dyn FnMut(usize, FileItem) -> Result<()>,
) -> Result<()> {
    let stop = AtomicBool::new(false);
    let bars = Bars::new(ui, files);
    std::thread::scope(|scope| {
        // Per file started and not yet handed over whole: its channel and thread. Dropped (whatever this
        // closure returns) before the scope waits for the threads, so none stays blocked on a full channel.
        let mut ahead = VecDeque::new();
        let mut started = 0;
        let mut hand_over = || -> Result<()> {
            for index in 0..files.len() {
                while started < files.len() && started < index + in_flight {
                    let (file, bars, stop) = (&files[started], &bars, &stop);
                    let (tx, rx) = mpsc::sync_channel::<Vec<FileItem>>(CHANNEL_BATCHES);
                    let thread = scope.spawn(move || {
                        let mut batch = Batch::default();
                        read_file(file, interest, bars, stop, &mut |item| {
                            let end = matches!(item, FileItem::End(_));
                            if batch.push(item) || end {
                                // The reader only stops listening when it stops for good.
                                if tx.send(std::mem::take(&mut batch.items)).is_err() {
                                    stop.store(true, Ordering::Relaxed);
                                }
                                batch.bytes = 0;
                            }
                        });
                    });
                    ahead.push_back((rx, thread));
                    started += 1;
                }
                let (rx, thread): (Receiver<Vec<FileItem>>, _) = ahead.pop_front().expect("the file was started");
                for batch in rx.iter() {
                    for item in batch {
                        visit(index, item)?;
                    }
                }
                // The file's thread has sent its end (an error would have returned above) and is done.
                thread.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            }
            Ok(())
        };
        let result = hand_over();
        if result.is_err() {
            stop.store(true, Ordering::Relaxed);
        }
        drop(ahead);
        result
    })
}

/// Records waiting to be sent from a file's thread.
#[derive(Default)]
struct Batch {
    items: Vec<FileItem>,
    bytes: usize,
}

impl Batch {
    /// Adds `item`; true when the batch is full.
    fn push(&mut self, item: FileItem) -> bool {
        self.bytes += match &item {
            FileItem::Record(Parsed::Rejected(r)) => 128 + r.raw.len() + r.reason.len(),
            FileItem::Record(Parsed::OtherAccounts(tally)) => 128 + tally.hours.bytes(),
            _ => 512,
        };
        self.items.push(item);
        self.items.len() >= BATCH_ITEMS || self.bytes >= BATCH_BYTES
    }
}

/// Reads one file, handing its items to `emit`; once `stop` is set, its reading ends (with an error)
/// at the next block of input.
fn read_file(file: &LogFile<'_>, interest: Option<AccountsOfInterest<'_>>, bars: &Bars, stop: &AtomicBool, emit: &mut dyn FnMut(FileItem)) {
    if let Some(range) = file.range {
        let end = read_range(file, range, interest, emit);
        bars.file_done(range.end.saturating_sub(range.start));
        emit(FileItem::End(end));
        return;
    }
    let path = file.path;
    let read_error = |source| Error::Read { path: path.to_path_buf(), source };
    let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let mut read = || -> Result<(String, u64)> {
        let sample = input::sample_encoded(path, SAMPLE, file.encoding)?;
        let format = match file.settings.log_format {
            // The server's format string says what the lines are (they may not look like any known layout).
            Some(_) => crate::ingest::event::Format::Combined,
            None => crate::ingest::detect::resolve_format(file.format, &sample, path)?,
        };
        let parser = crate::ingest::detect::parser_for_accounts(format, file.settings, &sample, path, interest)?;
        emit(FileItem::Start(format));
        let bar = bars.add(file.label, bytes);
        // The bar goes whatever happens next (an error included): no stale line stays above the summary.
        let result = (|| {
            let (reader, digest) = input::open_hashed(path, file.encoding, &bar)?;
            let mut reader = Stoppable { inner: reader, stop };
            // A Parquet file is parsed as the CSV text of its rows: a record's line is given as its row.
            let rows = digest.row_lines();
            let mut record = |mut p: Parsed| {
                if let Some(rows) = &rows {
                    as_row(&mut p, rows);
                }
                emit(FileItem::Record(p))
            };
            super::pipeline::parse(parser.as_ref(), &mut reader, &mut record).map_err(read_error)?;
            drop(reader);
            digest.finish().map_err(read_error)
        })();
        bars.remove(&bar);
        result
    };
    let end = read();
    bars.file_done(bytes);
    emit(FileItem::End(end));
}

/// Reads the records of one byte range of a plain file (see [`RangeBytes`]); the digest it ends with is
/// empty (a range cannot hash the whole file: `scan --digest-only` does).
fn read_range(file: &LogFile<'_>, range: &RangeBytes, interest: Option<AccountsOfInterest<'_>>, emit: &mut dyn FnMut(FileItem)) -> Result<(String, u64)> {
    let path = file.path;
    let refuse = |m: String| Error::input(path, format!("--byte-range {}:{}: {m}", range.start, range.end));
    // The file's first bytes: the head, and the range's bytes where they follow on from it.
    let joined;
    let head: &[u8] = if range.head.len() as u64 == range.start && range.head.len() < SAMPLE {
        joined = [&range.head[..], &range.bytes[..range.bytes.len().min(SAMPLE - range.head.len())]].concat();
        &joined
    } else {
        &range.head
    };
    match input::Compression::detect(head) {
        input::Compression::None if crate::read::parquet::is_parquet(head) => {
            return Err(refuse("a Parquet file cannot be read in byte ranges; scan it whole".into()))
        }
        input::Compression::None => {}
        other => return Err(refuse(format!("the file is {} compressed: byte ranges need an uncompressed file; scan it whole", if other == input::Compression::Gzip { "gzip" } else { "zstd" }))),
    }
    if file.encoding != TextEncoding::UTF8 || head.starts_with(&[0xff, 0xfe]) || head.starts_with(&[0xfe, 0xff]) {
        return Err(refuse("byte ranges need a UTF-8 file; scan it whole".into()));
    }
    let sample = &head[..head.len().min(SAMPLE)];
    let format = match file.settings.log_format {
        Some(_) => crate::ingest::event::Format::Combined,
        None => crate::ingest::detect::resolve_format(file.format, sample, path)?,
    };
    let parser = crate::ingest::detect::parser_for_accounts(format, file.settings, sample, path, interest)?;
    let Some(chunker) = parser.chunked() else {
        return Err(refuse(format!("{format} logs cannot be read in byte ranges (CSV audit logs can); scan the file whole")));
    };
    let (first, last) = range.own().map_err(refuse)?;
    emit(FileItem::Start(format));
    let own = &range.bytes[first..last];
    let lookahead = &range.bytes[last..];
    let end = chunker.parse_chunk(own, lookahead, range.start == 0, &mut |p| emit(FileItem::Record(p)));
    let at = |offset: usize| range.start + offset as u64;
    let to_end = range.to_end && last == range.bytes.len();
    let next_record = match end {
        _ if to_end => None,
        crate::read::pieces::ChunkEnd::NextRecordAt(offset) => Some(at(last + offset)),
        crate::read::pieces::ChunkEnd::EndOfInput if lookahead.is_empty() => Some(at(last)),
        crate::read::pieces::ChunkEnd::EndOfInput => {
            return Err(refuse(format!("the record before byte {} goes on for more than {RANGE_LOOKAHEAD} bytes; scan the file whole", at(last))))
        }
    };
    let newlines = memchr::memchr_iter(b'\n', own).count() as u64;
    let _ = range.outcome.set(RangeOutcome { first: at(first), last: at(last), newlines, next_record, to_end });
    Ok((String::new(), 0))
}

/// A record of a Parquet file's CSV text, its line turned into its row's number.
pub fn as_row(parsed: &mut Parsed, rows: &crate::read::parquet::RowLines) {
    match parsed {
        Parsed::Event(e) | Parsed::EventAt(e, _) => e.line = rows.row_of(e.line),
        Parsed::Ignored { line, .. } => *line = rows.row_of(*line),
        Parsed::Rejected(r) => r.line = rows.row_of(r.line),
        Parsed::OtherAccounts(_) => {}
    }
}

/// The progress bars of the files being read (one at a time, or several drawn together), under the case's
/// bar over all files.
struct Bars {
    ui: Ui,
    several: Option<indicatif::MultiProgress>,
    case: indicatif::ProgressBar,
    files: usize,
    done: std::sync::atomic::AtomicUsize,
}

impl Bars {
    fn new(ui: &Ui, files: &[LogFile<'_>]) -> Bars {
        let several = ui.progress.then(indicatif::MultiProgress::new);
        let bytes = files.iter().map(|f| std::fs::metadata(f.path).map(|m| m.len()).unwrap_or(0)).sum();
        let case = ui.case_bar(bytes, files.len());
        let case = match &several {
            Some(several) => several.add(case),
            None => case,
        };
        Bars { ui: *ui, several, case, files: files.len(), done: std::sync::atomic::AtomicUsize::new(0) }
    }

    fn add(&self, label: &str, bytes: u64) -> indicatif::ProgressBar {
        let bar = self.ui.file_bar(label, bytes);
        match &self.several {
            Some(several) => several.add(bar),
            None => bar,
        }
    }

    /// A file's bar, gone from the terminal and from the bars drawn together.
    fn remove(&self, bar: &indicatif::ProgressBar) {
        bar.finish_and_clear();
        if let Some(several) = &self.several {
            several.remove(bar);
        }
    }

    /// A file is read (or failed): the case's bar moves on.
    fn file_done(&self, bytes: u64) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        self.case.inc(bytes);
        self.case.set_message(format!("{done}/{} files", self.files));
    }
}

impl Drop for Bars {
    fn drop(&mut self) {
        self.case.finish_and_clear();
    }
}

/// A reader that fails once `stop` is set (checked at each refill of the caller's buffer).
struct Stoppable<'a> {
    inner: Box<dyn BufRead + Send>,
    stop: &'a AtomicBool,
}

impl Stoppable<'_> {
    fn check(&self) -> std::io::Result<()> {
        if self.stop.load(Ordering::Relaxed) {
            return Err(std::io::Error::other("reading stopped"));
        }
        Ok(())
    }
}

impl Read for Stoppable<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.check()?;
        self.inner.read(buf)
    }
}

impl BufRead for Stoppable<'_> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.check()?;
        self.inner.fill_buf()
    }

    fn consume(&mut self, amount: usize) {
        self.inner.consume(amount);
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::path::PathBuf;

    use super::*;

    const QUIET: Ui = Ui { quiet: true, color: false, progress: false };

    /// A combined log of `lines` lines (every line an event, every 97th garbage: rejected), tagged `tag`.
    fn log_text(tag: &str, lines: usize) -> Vec<u8> {
        (0..lines)
            .map(|i| {
                if i % 97 == 5 {
                    format!("garbage {tag} {i}\n")
                } else {
                    format!("10.0.0.1 - k.walsh [01/Jun/2019:10:{:02}:00 +0200] \"GET /{tag}/{i} HTTP/1.1\" 200 12 \"-\" \"x\"\n", i % 60)
                }
            })
            .collect::<String>()
            .into_bytes()
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(bytes).unwrap();
        enc.finish().unwrap()
    }

    /// Writes the files (name, bytes) into a new folder.
    fn folder(files: &[(&str, Vec<u8>)]) -> (tempfile::TempDir, Vec<PathBuf>) {
        let dir = tempfile::tempdir().unwrap();
        let paths = files
            .iter()
            .map(|(name, bytes)| {
                let path = dir.path().join(name);
                std::fs::write(&path, bytes).unwrap();
                path
            })
            .collect();
        (dir, paths)
    }

    /// A plain, a gzip and a zstd log with rejected lines in each, and more.
    fn mixed() -> (tempfile::TempDir, Vec<PathBuf>) {
        folder(&[
            ("a.log", log_text("a", 700)),
            ("b.log", gzip(&log_text("b", 2000))),
            ("c.log", zstd::encode_all(&log_text("c", 1500)[..], 3).unwrap()),
            ("d.log", log_text("d", 10)),
            ("e.log", gzip(&log_text("e", 900))),
        ])
    }

    /// What the reader saw, one line per item, and what `read_in_order` returned.
    fn read_all(paths: &[PathBuf], in_flight: usize, fail_at: Option<(usize, &str)>) -> (Vec<String>, std::result::Result<(), String>) {
        let settings = ParserSettings::default();
        let files: Vec<LogFile> = paths
            .iter()
            .map(|path| LogFile { path, format: Some("combined"), encoding: TextEncoding::UTF8, settings: &settings, label: "portal", range: None })
            .collect();
        let mut seen = Vec::new();
        let result = read_in_order(&files, None, &QUIET, in_flight, &mut |index, item| {
            let line = match &item {
                FileItem::Start(format) => format!("{index} start {format}"),
                FileItem::Record(Parsed::Event(e)) => format!("{index} event {} {:?}", e.line, e.payload),
                FileItem::Record(other) => format!("{index} {other:?}"),
                FileItem::End(Ok((sha, bytes))) => format!("{index} end {sha} {bytes}"),
                FileItem::End(Err(e)) => format!("{index} error {e}"),
            };
            seen.push(line.clone());
            match (&item, fail_at) {
                (FileItem::End(Err(_)), _) => Err(Error::Usage(format!("reader stopped at: {line}"))),
                (_, Some((at, text))) if index == at && line.contains(text) => Err(Error::Usage(format!("visitor failed at: {line}"))),
                _ => Ok(()),
            }
        });
        (seen, result.map_err(|e| e.to_string()))
    }

    /// Runs `f` on another thread, failing the test if it takes over a minute (a hang).
    fn within_a_minute<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || tx.send(f()).unwrap());
        rx.recv_timeout(std::time::Duration::from_secs(60)).expect("reading hung")
    }

    #[test]
    fn files_read_at_once_reach_the_reader_as_one_after_another() {
        let (_dir, paths) = mixed();
        let (serial, serial_result) = read_all(&paths, 1, None);
        assert_eq!(serial_result, Ok(()));
        assert_eq!(serial.len(), 5 + 700 + 2000 + 1500 + 10 + 900 + 5);
        assert!(serial.iter().filter(|l| l.contains("Rejected")).count() > 5 * 3);
        for in_flight in [2, 3, 8] {
            let paths = paths.clone();
            let (parallel, result) = within_a_minute(move || read_all(&paths, in_flight, None));
            assert_eq!(result, Ok(()));
            assert!(parallel == serial, "{in_flight} in flight: the reader saw another sequence");
        }
    }

    #[test]
    fn an_error_in_a_later_file_comes_after_the_earlier_files_records() {
        let good = gzip(&log_text("c", 3000));
        let truncated = good[..good.len() / 2].to_vec();
        let (_dir, paths) =
            folder(&[("a.log", log_text("a", 300)), ("b.log", zstd::encode_all(&log_text("b", 800)[..], 3).unwrap()), ("c.log", truncated), ("d.log", log_text("d", 3000))]);
        let (serial, serial_result) = read_all(&paths, 1, None);
        let message = serial_result.clone().unwrap_err();
        assert!(message.contains("c.log: cannot read:"), "{message}");
        assert!(serial.last().unwrap().starts_with("2 error"), "{:?}", serial.last());
        assert!(serial.iter().any(|l| l.starts_with("2 event")), "the records before the damage are read");
        assert!(!serial.iter().any(|l| l.starts_with("3 ")));
        let (parallel, result) = within_a_minute(move || read_all(&paths, 4, None));
        assert_eq!(result, serial_result);
        assert!(parallel == serial);
    }

    #[test]
    fn a_failing_reader_stops_every_file() {
        let (_dir, paths) = folder(&[
            ("a.log", log_text("a", 200)),
            ("b.log", gzip(&log_text("b", 5000))),
            ("c.log", log_text("c", 5000)),
            ("d.log", zstd::encode_all(&log_text("d", 5000)[..], 3).unwrap()),
        ]);
        // The first rejected line of the second file.
        let fail_at = Some((1, "Rejected"));
        let (serial, serial_result) = read_all(&paths, 1, fail_at);
        assert!(serial_result.as_ref().unwrap_err().starts_with("visitor failed at: 1 Rejected"), "{serial_result:?}");
        let (parallel, result) = within_a_minute(move || read_all(&paths, 4, fail_at));
        assert_eq!(result, serial_result);
        assert!(parallel == serial);
    }

    #[test]
    fn a_file_that_cannot_be_opened_is_an_error_in_its_turn() {
        let (_dir, mut paths) = folder(&[("a.log", log_text("a", 100)), ("b.log", log_text("b", 100))]);
        paths.insert(1, paths[0].with_file_name("missing.log"));
        let (serial, serial_result) = read_all(&paths, 1, None);
        assert!(serial_result.as_ref().unwrap_err().contains("missing.log"), "{serial_result:?}");
        assert_eq!(serial.iter().filter(|l| l.starts_with("0 ")).count(), 102);
        let (parallel, result) = within_a_minute(move || read_all(&paths, 3, None));
        assert_eq!(result, serial_result);
        assert!(parallel == serial);
    }
}
