//! Line-by-line reading of byte streams for the line-oriented formats.

use std::io::BufRead;

/// Reads lines as bytes (no UTF-8 assumption), stripping `\n` and a `\r` before it.
pub struct Lines<'a> {
    input: &'a mut dyn BufRead,
    buf: Vec<u8>,
    line: u64,
}

impl<'a> Lines<'a> {
    pub fn new(input: &'a mut dyn BufRead) -> Self {
        Lines { input, buf: Vec::with_capacity(4096), line: 0 }
    }

    /// The next line and its 1-based number, or `None` at the end.
    pub fn next_line(&mut self) -> std::io::Result<Option<(u64, &[u8])>> {
        self.buf.clear();
        let n = self.input.read_until(b'\n', &mut self.buf)?;
        if n == 0 {
            return Ok(None);
        }
        self.line += 1;
        let mut end = self.buf.len();
        if end > 0 && self.buf[end - 1] == b'\n' {
            end -= 1;
        }
        if end > 0 && self.buf[end - 1] == b'\r' {
            end -= 1;
        }
        Ok(Some((self.line, &self.buf[..end])))
    }
}

/// The text of a line, or the 1-based byte column of its first invalid UTF-8 byte.
pub fn utf8(line: &[u8]) -> Result<&str, u64> {
    std::str::from_utf8(line).map_err(|e| e.valid_up_to() as u64 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crlf_and_lf_mixed_and_no_final_newline() {
        let mut input: &[u8] = b"a\r\nb\nc";
        let mut lines = Lines::new(&mut input);
        let mut seen = Vec::new();
        while let Some((n, l)) = lines.next_line().unwrap() {
            seen.push((n, l.to_vec()));
        }
        assert_eq!(seen, [(1, b"a".to_vec()), (2, b"b".to_vec()), (3, b"c".to_vec())]);
    }

    #[test]
    fn invalid_utf8_column() {
        assert_eq!(utf8(b"ab\xe9c"), Err(3));
        assert_eq!(utf8(b"abc"), Ok("abc"));
    }
}

/// Line numbers for byte offsets of a stream read through [`NewlineTracking`]. The csv crate's own line
/// counter skips newlines inside quoted fields, so record lines are computed here from byte positions.
#[derive(Clone, Default)]
pub struct LineLookup(std::rc::Rc<std::cell::RefCell<NewlineState>>);

#[derive(Default)]
struct NewlineState {
    bytes_seen: u64,
    /// Offsets of newlines read but not yet passed by a lookup.
    pending: std::collections::VecDeque<u64>,
    newlines_before: u64,
    /// The stream has ended (a read returned nothing).
    ended: bool,
}

impl LineLookup {
    /// The 1-based line of the record starting at byte `offset` (with CRLF the csv crate reports the `\n` of
    /// the previous line as the start, so a newline at `offset` itself counts as before). Offsets must not
    /// decrease between calls.
    pub fn line_at(&self, offset: u64) -> u64 {
        let mut state = self.0.borrow_mut();
        while state.pending.front().is_some_and(|&nl| nl <= offset) {
            state.pending.pop_front();
            state.newlines_before += 1;
        }
        state.newlines_before + 1
    }

    /// Whether `offset` is the end of a stream that has ended: a record read up to there ended with the
    /// input, not with a record terminator.
    pub fn is_end(&self, offset: u64) -> bool {
        let state = self.0.borrow();
        state.ended && offset == state.bytes_seen
    }

    /// The 1-based line a csv record starts on, from where the reader stood before it (`start`) and after
    /// it (`end`) and the bytes of its fields: the line of its last byte less the newlines inside it before
    /// that byte. (`start` may lie before blank lines the reader skipped.) The last byte is the terminator,
    /// or at the end of the input without one, the record's own.
    pub fn record_line(&self, start: u64, end: u64, fields: &[u8]) -> u64 {
        let last_line = self.line_of_byte(end.saturating_sub(1).max(start));
        // A plain count, not memchr's: a record is tens of bytes, where memchr's setup per call cost more
        // than the count (an eighth of reading a quoted table, perf).
        let mut inside = fields.iter().filter(|b| **b == b'\n').count() as u64;
        if self.is_end(end) && fields.last() == Some(&b'\n') {
            inside -= 1;
        }
        last_line - inside
    }

    /// The 1-based line holding the byte at `offset` (a newline belongs to the line it ends). Offsets must
    /// not decrease between calls (of either kind).
    pub fn line_of_byte(&self, offset: u64) -> u64 {
        let mut state = self.0.borrow_mut();
        while state.pending.front().is_some_and(|&nl| nl < offset) {
            state.pending.pop_front();
            state.newlines_before += 1;
        }
        state.newlines_before + 1
    }
}

/// A reader that notes where its newlines are, for [`LineLookup`].
pub struct NewlineTracking<R> {
    inner: R,
    lookup: LineLookup,
}

impl<R: std::io::Read> NewlineTracking<R> {
    pub fn new(inner: R) -> (Self, LineLookup) {
        let lookup = LineLookup::default();
        (NewlineTracking { inner, lookup: lookup.clone() }, lookup)
    }
}

impl<R: std::io::Read> std::io::Read for NewlineTracking<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut state = self.lookup.0.borrow_mut();
        state.ended |= n == 0 && !buf.is_empty();
        let base = state.bytes_seen;
        for i in memchr::memchr_iter(b'\n', &buf[..n]) {
            state.pending.push_back(base + i as u64);
        }
        state.bytes_seen += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tracking_tests {
    use super::*;

    #[test]
    fn csv_record_lines_count_quoted_newlines() {
        let text = "a,b\r\n1,\"x\r\ny\"\r\n2,z\r\n3,\"p\nq\nr\"\n4,s\n";
        let (reader, lines) = NewlineTracking::new(text.as_bytes());
        let mut csv = csv::ReaderBuilder::new().from_reader(reader);
        let found: Vec<(String, u64)> =
            csv.records().map(|r| r.unwrap()).map(|r| (r[0].to_string(), lines.line_at(r.position().unwrap().byte()))).collect();
        assert_eq!(found, [("1".into(), 2), ("2".into(), 4), ("3".into(), 5), ("4".into(), 8)]);
    }
}
