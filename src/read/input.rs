//! Opening exports: plain, gzip or zstd (told by their first bytes, not their names), transcoded to UTF-8
//! from the export's encoding, and log globs. A Parquet file (told by its first bytes) is opened as the CSV
//! text of its rows (see [`crate::read::parquet::CsvText`]).

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};

use crate::read::encoding::TextEncoding;
use crate::error::{Error, Result};

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];
/// An input's buffer. The pieces' reader asks for this much at a time, past it, straight into its pieces
/// (`read::pieces`): at 128 KB a log's bytes are still in the cache when their SHA-256 is taken (10M
/// benchmark, log phase: 1 MB read into the buffer and copied out 0.916 s, 128 KB read straight 0.873 s; the
/// other layout 1.010 -> 0.945 s; 256 KB 0.970 s).
pub const BUFFER: usize = 128 << 10;
const HEAD_BUFFER: usize = 64 << 10;

/// How inputs are read unless the case file says otherwise for a log (`--encoding`, `--assume-tz`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InputDefaults {
    /// The logs' encoding; `None`: UTF-8. A log's `encoding` key wins.
    pub encoding: Option<TextEncoding>,
    /// `--assume-tz`: the zone of timestamps written without one, in every log without its own `time_zone`
    /// and in the case's window bounds; `None`: such timestamps are rejected.
    pub assume_tz: Option<crate::read::timefmt::Zone>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

impl Compression {
    pub fn detect(head: &[u8]) -> Self {
        if head.starts_with(&GZIP_MAGIC) {
            Compression::Gzip
        } else if head.starts_with(&ZSTD_MAGIC) {
            Compression::Zstd
        } else {
            Compression::None
        }
    }
}

/// A buffered reader over the decompressed bytes of `path`, as UTF-8 (see [`crate::read::encoding`]: a UTF-16
/// file with a byte-order mark is transcoded, anything else passed through).
pub fn open(path: &Path) -> Result<Box<dyn BufRead + Send>> {
    open_encoded(path, TextEncoding::UTF8, &indicatif::ProgressBar::hidden())
}

/// As [`open`], advancing `bar` by the (compressed) bytes read from disk.
pub fn open_with_progress(path: &Path, bar: &indicatif::ProgressBar) -> Result<Box<dyn BufRead + Send>> {
    open_encoded(path, TextEncoding::UTF8, bar)
}

/// The decompressed bytes of `path` transcoded from `encoding` to UTF-8, advancing `bar` by the
/// (compressed) bytes read from disk. Decompression comes first, so a gzip of a Latin-1 export is read too.
pub fn open_encoded(path: &Path, encoding: TextEncoding, bar: &indicatif::ProgressBar) -> Result<Box<dyn BufRead + Send>> {
    // Not hashed: the tables read this way are hashed for the manifest on a thread of their own (hashing
    // them here too cost resolve a fifth of its time, for a digest thrown away).
    Ok(open_reading(path, encoding, bar, false, BUFFER)?.0)
}

/// As [`open_encoded`] with a small buffer, for reading a file's first bytes (a sample, a header row): the
/// whole read's buffer was filled (and first zeroed) for each, a few milliseconds on one core at the start
/// of every run (perf).
pub fn open_head(path: &Path, encoding: TextEncoding) -> Result<Box<dyn BufRead + Send>> {
    Ok(open_reading(path, encoding, &indicatif::ProgressBar::hidden(), false, HEAD_BUFFER)?.0)
}

/// As [`open_encoded`], also computing the SHA-256 of the file's bytes on disk as they are read (for the
/// manifest: the digest is of exactly the bytes analysed, and the file is not read a second time).
pub fn open_hashed(path: &Path, encoding: TextEncoding, bar: &indicatif::ProgressBar) -> Result<(Box<dyn BufRead + Send>, RawDigest)> {
    open_reading(path, encoding, bar, true, BUFFER)
}

/// [`open_hashed`], or without the hashing (`hash` false: the digest returned is of nothing).
fn open_reading(path: &Path, encoding: TextEncoding, bar: &indicatif::ProgressBar, hash: bool, buffer: usize) -> Result<(Box<dyn BufRead + Send>, RawDigest)> {
    let read_err = |source| Error::Read { path: path.to_path_buf(), source };
    let mut file = File::open(path).map_err(read_err)?;
    let mut head = [0u8; 4];
    let n = read_up_to(&mut file, &mut head).map_err(read_err)?;
    if crate::read::parquet::is_parquet(&head[..n]) {
        // A Parquet file is read as the CSV text of its rows (a CSV-style log exported from a warehouse); its
        // digest is taken from the file itself when reading ends.
        let text = crate::read::parquet::CsvText::new(crate::read::parquet::ParquetRows::open(path)?, bar.clone());
        let rows = Some(text.row_lines());
        let digest = RawDigest { path: path.to_path_buf(), state: Arc::new(Mutex::new(DigestState::default())), rows };
        return Ok((Box::new(text), digest));
    }
    let compression = Compression::detect(&head[..n]);
    let digest = RawDigest { path: path.to_path_buf(), state: Arc::new(Mutex::new(DigestState::default())), rows: None };
    let inner = File::open(path).map_err(read_err)?;
    let file: Box<dyn Read + Send> = if hash {
        Box::new(bar.wrap_read(HashingReader { inner, state: Arc::clone(&digest.state) }))
    } else {
        Box::new(bar.wrap_read(inner))
    };
    let mut decompressed: Box<dyn Read + Send> = match compression {
        Compression::None => Box::new(file),
        Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(BufReader::with_capacity(buffer, file))),
        Compression::Zstd => Box::new(zstd::stream::read::Decoder::new(file).map_err(read_err)?),
    };
    // The text's first bytes tell a UTF-16 byte-order mark; they are put back in front of the stream.
    let mut text_head = [0u8; 4];
    let n = read_up_to(&mut decompressed, &mut text_head).map_err(read_err)?;
    let text_head = text_head[..n].to_vec();
    let whole: Box<dyn Read + Send> = Box::new(std::io::Cursor::new(text_head.clone()).chain(decompressed));
    Ok((Box::new(BufReader::with_capacity(buffer, crate::read::encoding::decode(whole, &text_head, encoding))), digest))
}

#[derive(Default)]
struct DigestState {
    hasher: Sha256,
    bytes: u64,
}

/// The SHA-256 of a file opened with [`open_hashed`], taken as its bytes are read.
pub struct RawDigest {
    path: PathBuf,
    state: Arc<Mutex<DigestState>>,
    /// A Parquet file read as CSV text: its lines turned back into row numbers.
    rows: Option<Arc<crate::read::parquet::RowLines>>,
}

impl RawDigest {
    /// For a Parquet file (read as CSV text), the row numbers of the text's lines: a record's line should be
    /// given as its row.
    pub fn row_lines(&self) -> Option<Arc<crate::read::parquet::RowLines>> {
        self.rows.clone()
    }

    /// The hex SHA-256 and size of the whole file: the bytes read so far and, when the reader stopped early
    /// (an error, a parser done before the end), the rest of the file read now.
    pub fn finish(self) -> std::io::Result<(String, u64)> {
        let mut state = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut file = File::open(&self.path)?;
        std::io::Seek::seek(&mut file, std::io::SeekFrom::Start(state.bytes))?;
        let mut buf = vec![0u8; BUFFER];
        loop {
            match file.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    state.hasher.update(&buf[..n]);
                    state.bytes += n as u64;
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
        let state = std::mem::take(&mut *state);
        Ok((format!("{:x}", state.hasher.finalize()), state.bytes))
    }
}

struct HashingReader<R> {
    inner: R,
    state: Arc<Mutex<DigestState>>,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut state = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        state.hasher.update(&buf[..n]);
        state.bytes += n as u64;
        Ok(n)
    }
}

/// The first bytes of the decompressed content (as UTF-8), for format detection.
pub fn sample(path: &Path, len: usize) -> Result<Vec<u8>> {
    sample_encoded(path, len, TextEncoding::UTF8)
}

/// As [`sample`], transcoding from `encoding`.
pub fn sample_encoded(path: &Path, len: usize, encoding: TextEncoding) -> Result<Vec<u8>> {
    let mut reader = open_head(path, encoding)?;
    let mut buf = vec![0u8; len];
    let n = read_up_to(&mut reader, &mut buf).map_err(|source| Error::Read { path: path.to_path_buf(), source })?;
    buf.truncate(n);
    Ok(buf)
}

fn read_up_to(reader: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Files matching `pattern` (relative to `base`), sorted by path so runs are reproducible.
/// A pattern that matches nothing is an error: a missing log must never look like a quiet one.
pub fn expand_glob(base: &Path, pattern: &str) -> Result<Vec<PathBuf>> {
    let full = base.join(pattern);
    let full_text = full.to_string_lossy().into_owned();
    let paths = glob::glob(&full_text).map_err(|e| Error::input(&full, format!("bad path pattern: {e}")))?;
    let mut files = Vec::new();
    for entry in paths {
        let path = entry.map_err(|e| Error::input(e.path(), e.error().to_string()))?;
        if path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    if files.is_empty() {
        return Err(Error::input(full, "no log file matches this path"));
    }
    Ok(files)
}

/// A path as shown in outputs: relative to the case folder when inside it.
pub fn display_path(path: &Path, base: &Path) -> String {
    path.strip_prefix(base).unwrap_or(path).to_string_lossy().replace('\\', "/")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn gzip_and_zstd_are_read_by_content_not_name() {
        let dir = tempfile::tempdir().unwrap();
        let text = b"line one\nline two\n";
        let gz = dir.path().join("log.txt");
        let mut enc = flate2::write::GzEncoder::new(File::create(&gz).unwrap(), flate2::Compression::fast());
        enc.write_all(text).unwrap();
        enc.finish().unwrap();
        let zst = dir.path().join("log.zst");
        std::fs::write(&zst, zstd::encode_all(&text[..], 1).unwrap()).unwrap();
        for path in [gz, zst] {
            let mut out = String::new();
            open(&path).unwrap().read_to_string(&mut out).unwrap();
            assert_eq!(out.as_bytes(), text);
        }
    }

    #[test]
    fn glob_that_matches_nothing_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = expand_glob(dir.path(), "logs/portal-*").unwrap_err();
        assert!(err.to_string().contains("no log file matches"));
    }
}
