//! Opening exports: plain, gzip or zstd (told by their first bytes, not their names), and log globs.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];
const BUFFER: usize = 1 << 20;

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

/// A buffered reader over the decompressed bytes of `path`.
pub fn open(path: &Path) -> Result<Box<dyn BufRead + Send>> {
    open_with_progress(path, &indicatif::ProgressBar::hidden())
}

/// As [`open`], advancing `bar` by the (compressed) bytes read from disk.
pub fn open_with_progress(path: &Path, bar: &indicatif::ProgressBar) -> Result<Box<dyn BufRead + Send>> {
    Ok(open_hashed(path, bar)?.0)
}

/// As [`open_with_progress`], also computing the SHA-256 of the file's bytes on disk as they are read (for
/// the manifest: the digest is of exactly the bytes analysed, and the file is not read a second time).
pub fn open_hashed(path: &Path, bar: &indicatif::ProgressBar) -> Result<(Box<dyn BufRead + Send>, RawDigest)> {
    let read_err = |source| Error::Read { path: path.to_path_buf(), source };
    let mut file = File::open(path).map_err(read_err)?;
    let mut head = [0u8; 4];
    let n = read_up_to(&mut file, &mut head).map_err(read_err)?;
    let compression = Compression::detect(&head[..n]);
    let digest = RawDigest { path: path.to_path_buf(), state: Arc::new(Mutex::new(DigestState::default())) };
    let file = bar.wrap_read(HashingReader { inner: File::open(path).map_err(read_err)?, state: Arc::clone(&digest.state) });
    Ok((open_decompressed(file, compression, path)?, digest))
}

fn open_decompressed<R: Read + Send + 'static>(file: R, compression: Compression, path: &Path) -> Result<Box<dyn BufRead + Send>> {
    let read_err = |source| Error::Read { path: path.to_path_buf(), source };
    Ok(match compression {
        Compression::None => Box::new(BufReader::with_capacity(BUFFER, file)),
        Compression::Gzip => Box::new(BufReader::with_capacity(
            BUFFER,
            flate2::read::MultiGzDecoder::new(BufReader::with_capacity(BUFFER, file)),
        )),
        Compression::Zstd => {
            let decoder = zstd::stream::read::Decoder::new(file).map_err(read_err)?;
            Box::new(BufReader::with_capacity(BUFFER, decoder))
        }
    })
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
}

impl RawDigest {
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

/// The first bytes of the decompressed content, for format detection.
pub fn sample(path: &Path, len: usize) -> Result<Vec<u8>> {
    let mut reader = open(path)?;
    let mut buf = vec![0u8; len];
    let n = read_up_to(&mut reader, &mut buf).map_err(|source| Error::Read { path: path.to_path_buf(), source })?;
    buf.truncate(n);
    refuse_utf16(path, &buf)?;
    Ok(buf)
}

/// Exports are read as UTF-8; a UTF-16 file (told by its byte-order mark) would otherwise fail later with
/// a misleading message (no header column found), so it is refused here, naming the file.
fn refuse_utf16(path: &Path, head: &[u8]) -> Result<()> {
    let order = if head.starts_with(&[0xff, 0xfe]) {
        "little-endian"
    } else if head.starts_with(&[0xfe, 0xff]) {
        "big-endian"
    } else {
        return Ok(());
    };
    Err(Error::input(path, format!("the file is UTF-16 ({order}, with a byte-order mark); convert it to UTF-8 first, e.g. `iconv -f UTF-16 -t UTF-8`")))
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
